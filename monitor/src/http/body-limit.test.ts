import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { limitBody } from './body-limit.ts';

const MAX = 1_000;
let server: Server;
let port: number;

beforeAll(async () => {
  const app = new Hono();
  app.use(
    '*',
    limitBody(MAX, (c) => c.json({ error: 'too large' }, 413)),
  );
  app.post('/json', async (c) => c.json({ got: await c.req.json() }));
  app.post('/text', async (c) => c.text(await c.req.text()));
  app.get('/get', (c) => c.text('ok'));
  server = createServer(getRequestListener(app.fetch));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

/** Posts `parts` one write each; without `length`, chunked (no Content-Length). */
function post(path: string, parts: string[], length?: number) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(
      {
        port,
        host: '127.0.0.1',
        path,
        method: 'POST',
        headers: length === undefined ? {} : { 'content-length': length },
      },
      (res) => {
        let body = '';
        res.on('data', (c) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('error', reject);
    for (const p of parts) req.write(p);
    req.end();
  });
}

describe('body limit on Node (read straight from the socket)', () => {
  it('hands the body to c.req.json() and c.req.text(), whole, chunked or not', async () => {
    const json = JSON.stringify({ hello: 'wörld', n: [1, 2, 3] });
    expect(await post('/json', [json], Buffer.byteLength(json))).toEqual({
      status: 200,
      body: JSON.stringify({ got: JSON.parse(json) }),
    });
    expect(await post('/json', [json.slice(0, 5), json.slice(5)])).toMatchObject({ status: 200 });
    expect(await post('/text', ['a'.repeat(MAX)])).toEqual({ status: 200, body: 'a'.repeat(MAX) });
    expect((await fetch(`http://127.0.0.1:${port}/get`)).status).toBe(200);
  });

  it('refuses a body over the limit: by its Content-Length before reading, or as chunks arrive', async () => {
    expect((await post('/text', ['x'.repeat(MAX + 1)], MAX + 1)).status).toBe(413);
    const chunked = await post('/text', ['a'.repeat(600), 'b'.repeat(600)]);
    expect(chunked.status).toBe(413);
    // The connection is still usable for the next request.
    expect(await post('/text', ['small'])).toEqual({ status: 200, body: 'small' });
  });
});
