/** HTTPS probes on Node read the server certificate's expiry from the TLS socket. */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createNodeFetcher, nodeFetcher } from './fetch-node.ts';
import { evaluateHttp } from './kinds/http.ts';

const dir = new URL('../../test/fixtures/tls/', import.meta.url);
const cert = readFileSync(new URL('cert.pem', dir), 'utf8');
const key = readFileSync(new URL('key.pem', dir), 'utf8');
const DAY = 86_400_000;
let server: Server;
let url = '';

beforeAll(async () => {
  server = createServer({ cert, key }, (_req, res) => res.end('ok'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe('TLS', () => {
  it('reads the certificate expiry and warns as it nears', async () => {
    const fetcher = createNodeFetcher(undefined, { ca: cert });
    const outcome = await fetcher(
      { url, method: 'GET' },
      { signal: AbortSignal.timeout(2_000), allowPrivate: true },
    );
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    const validTo = outcome.response.tls!.validTo;
    expect(validTo).toBeGreaterThan(Date.now() + 365 * DAY);
    const config = { url, method: 'GET' as const, expectStatus: { min: 200, max: 399 }, tlsWarnDays: 14 };
    expect(evaluateHttp(config, outcome, validTo - 30 * DAY).status).toBe('up');
    expect(evaluateHttp(config, outcome, validTo - 5 * DAY)).toMatchObject({
      status: 'degraded',
      detail: 'the TLS certificate expires in 5 days',
    });
  });

  it('an untrusted certificate is a TLS failure (down for an HTTP check)', async () => {
    const outcome = await nodeFetcher(
      { url, method: 'GET' },
      { signal: AbortSignal.timeout(2_000), allowPrivate: true },
    );
    expect(outcome).toMatchObject({ ok: false, kind: 'tls' });
  });
});
