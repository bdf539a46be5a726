import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGuardedFetch } from './guarded-fetch.ts';

let server: Server;
let port: number;
const got: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => {
      got.push(`${req.method} ${req.headers['x-test']} ${body}`);
      res.writeHead(req.url === '/empty' ? 204 : 201).end(req.url === '/empty' ? undefined : 'made');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('the fetch for destinations the public chose', () => {
  it('refuses a name that resolves to a local address, and a local literal, before connecting', async () => {
    const guarded = createGuardedFetch(false);
    const before = got.length;
    await expect(guarded(`http://localhost:${port}/x`, { method: 'POST', body: 'hi' })).rejects.toThrow(
      /private or local address/,
    );
    await expect(guarded(`http://127.0.0.1:${port}/x`, { method: 'POST', body: 'hi' })).rejects.toThrow(
      /private or local address/,
    );
    expect(got.length).toBe(before);
  });

  it('behaves as fetch where allowed: method, headers, body, status and answer', async () => {
    const open = createGuardedFetch(true);
    const res = await open(`http://localhost:${port}/x`, {
      method: 'POST',
      headers: { 'x-test': 'yes' },
      body: new TextEncoder().encode('bytes'),
    });
    expect(res.status).toBe(201);
    expect(await res.text()).toBe('made');
    expect(got.at(-1)).toBe('POST yes bytes');
    const empty = await open(`http://127.0.0.1:${port}/empty`, { method: 'POST', body: 'x' });
    expect(empty.status).toBe(204);
  });
});
