import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { heartbeat, startTestServer, type TestServer } from './helpers.ts';

let s: TestServer;

/** A request as a browser on `host` sends it, to the test server (fetch cannot set Host). */
function get(
  host: string,
  path: string,
  init: { method?: string; token?: string; body?: unknown; headers?: Record<string, string> } = {},
) {
  const { port } = new URL(s.url);
  return new Promise<{ status: number; body: string; type: string }>((resolve, reject) => {
    const body = init.body === undefined ? undefined : JSON.stringify(init.body);
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        method: init.method ?? 'GET',
        headers: {
          ...init.headers,
          host,
          ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
          ...(body ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } : {}),
        },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c) => {
          text += c;
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: text, type: String(res.headers['content-type']) }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const pageName = async (host: string, path = '/api/v2/summary.json') =>
  (JSON.parse((await get(host, path)).body) as { page: { name: string } }).page.name;

beforeAll(async () => {
  s = await startTestServer({ site: true });
}, 120_000);
afterAll(() => s.close());

describe('a status page on a custom domain', () => {
  it('serves the workspace page, its feeds and JSON on its own host name; the API and admin stay put', async () => {
    const acme = await s.createWorkspace('acme');
    await s.request('PATCH', '/v1/workspace', { token: acme.apiKey, body: { name: 'Acme SMS' } });
    const set = await s.request('PATCH', '/v1/workspace', {
      token: acme.apiKey,
      body: { customDomain: ' Status.Acme.TEST ' },
    });
    expect(set.status, JSON.stringify(set.json)).toBe(200);
    expect(set.json).toMatchObject({
      customDomain: 'status.acme.test',
      statusPageUrl: 'https://status.acme.test/',
    });

    // At once (this instance forgets its cache on the change), with any port in the Host header.
    expect(await pageName('status.acme.test:443')).toBe('Acme SMS');
    expect(await pageName('127.0.0.1'), 'other hosts: the default workspace').not.toBe('Acme SMS');
    const page = await get('status.acme.test', '/');
    expect(page.status).toBe(200);
    expect(page.type).toContain('text/html');
    expect(page.body).toContain('Acme SMS');
    expect((await get('status.acme.test', '/history')).body).toContain('Acme SMS');
    // Its links stay at the root of its own host name.
    expect(page.body).toContain('href="/history"');
    expect(page.body).not.toContain('/s/acme/');
    const feed = await get('status.acme.test', '/history.atom');
    expect(feed.status).toBe(200);
    expect(feed.body).toContain('Acme SMS');
    expect(feed.body).toContain('https://status.acme.test/');
    expect(feed.body).not.toContain('/s/acme');
    // A client cannot claim to be on the own host name elsewhere (a CDN would cache what it got).
    const spoofed = await get('127.0.0.1', '/s/acme', { headers: { 'x-lifeline-own-domain': '1' } });
    expect(spoofed.body).toContain('href="/s/acme/history"');
    expect((await get('status.acme.test', '/badge/status.svg')).type).toContain('image/svg+xml');

    // The API, the admin pages, other workspaces' pages and assets are the same on every host.
    const phone = await s.enrollDevice('Till', acme.apiKey);
    const hb = await get('status.acme.test', '/v1/heartbeats', {
      method: 'POST',
      token: phone.token,
      body: heartbeat(),
    });
    expect(hb.status).toBe(202);
    expect((await get('status.acme.test', '/admin/login')).body).toContain('Sign in');
    expect(await pageName('status.acme.test', '/s/default/api/v2/summary.json')).not.toBe('Acme SMS');
    expect((await get('status.acme.test', '/openapi.json')).status).toBe(200);
  });

  it('is one workspace’s at a time, never the server’s own address, and must be a host name', async () => {
    const other = await s.createWorkspace('other-co');
    const taken = await s.request('PATCH', '/v1/workspace', {
      token: other.apiKey,
      body: { customDomain: 'status.acme.test' },
    });
    expect(taken.status).toBe(409);
    expect(taken.json.error).toMatchObject({ code: 'domain_taken', field: 'customDomain' });
    for (const bad of [
      'https://status.other.test',
      'status.other.test:8443',
      'localhost',
      '10.0.0.1',
      'a..b.test',
      'status.other.test/page',
      '-x.test',
    ]) {
      const res = await s.request('PATCH', '/v1/workspace', {
        token: other.apiKey,
        body: { customDomain: bad },
      });
      expect(res.status, bad).toBe(400);
      expect(res.json.error.field, bad).toBe('customDomain');
    }
    const publicUrl = s.deps.publicUrl;
    s.deps.publicUrl = 'https://lifeline.example.com';
    try {
      const own = await s.request('PATCH', '/v1/workspace', {
        token: other.apiKey,
        body: { customDomain: 'lifeline.example.com' },
      });
      expect(own.status).toBe(400);
      expect(own.json.error.field).toBe('customDomain');
    } finally {
      s.deps.publicUrl = publicUrl;
    }
  });

  it('stops serving the page there once removed', async () => {
    const acmeKey = (await s.createWorkspace('acme-2')).apiKey;
    await s.request('PATCH', '/v1/workspace', {
      token: acmeKey,
      body: { name: 'Acme Two', customDomain: 'status.two.test' },
    });
    expect(await pageName('status.two.test')).toBe('Acme Two');
    const cleared = await s.request('PATCH', '/v1/workspace', {
      token: acmeKey,
      body: { customDomain: null },
    });
    expect(cleared.json.customDomain).toBeNull();
    expect(await pageName('status.two.test')).not.toBe('Acme Two');
  });
});
