/** The Web-standard fetcher (the one Workers use), run here on Node's fetch against a local server. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { webFetcher } from './fetch-web.ts';

let server: Server;
let base = '';
beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/ok') return res.end('ok');
    if (req.url === '/to-ok') return res.writeHead(302, { location: '/ok' }).end();
    if (req.url === '/hang') return;
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const opts = (allowPrivate: boolean, ms = 2_000) => ({ signal: AbortSignal.timeout(ms), allowPrivate });

describe('web fetcher', () => {
  it('follows redirects by hand, re-checking each hop', async () => {
    const ok = await webFetcher({ url: `${base}/to-ok`, method: 'GET' }, opts(true));
    expect(ok).toMatchObject({
      ok: true,
      response: { status: 200, body: 'ok', redirects: [`${base}/ok`], tls: null },
    });
    expect(await webFetcher({ url: `${base}/ok`, method: 'GET' }, opts(false))).toMatchObject({
      ok: false,
      kind: 'refused_private',
    });
  });

  it('a public page redirecting to the metadata address is refused on the redirect hop', async () => {
    const calls: string[] = [];
    vi.stubGlobal('fetch', async (url: URL) => {
      calls.push(url.href);
      return new Response(null, {
        status: 301,
        headers: { location: 'http://169.254.169.254/latest/meta-data/' },
      });
    });
    try {
      const out = await webFetcher(
        { url: 'https://status.example.com/feed.rss', method: 'GET' },
        opts(false),
      );
      expect(out).toMatchObject({ ok: false, kind: 'refused_private' });
      expect(calls).toEqual(['https://status.example.com/feed.rss']);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('times out', async () => {
    expect(await webFetcher({ url: `${base}/hang`, method: 'GET' }, opts(true, 200))).toMatchObject({
      ok: false,
      kind: 'timeout',
    });
  });
});
