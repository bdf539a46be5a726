/**
 * `GET/PATCH /v1/workspace`: an admin renames the workspace (the status page title follows at once), moves
 * its status page to another slug, and changes the heartbeat interval, which devices learn from their next
 * answer and by which each heartbeat is judged; bad input is refused naming the field, and a key only ever
 * sees its own workspace.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { heartbeat, startTestServer, type TestServer } from './helpers.ts';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(() => s.close());

describe('the workspace API', () => {
  it('shows the workspace and renames it; the status page title follows at once', async () => {
    const key = s.creds.apiKey;
    const ws = await s.request('GET', '/v1/workspace', { token: key });
    expect(ws.status).toBe(200);
    expect(ws.json).toEqual({
      id: s.creds.workspaceId,
      slug: 'default',
      name: 'My workspace',
      heartbeatIntervalS: 30,
      about: null,
      websiteUrl: null,
      supportUrl: null,
      customDomain: null,
      createdAt: s.clock.now(),
      statusPageUrl: `${s.url}/`,
    });
    expect((await s.request('GET', '/api/v2/summary.json')).json.page.name).toBe('My workspace');
    const renamed = await s.request('PATCH', '/v1/workspace', { token: key, body: { name: '  Acme SMS  ' } });
    expect(renamed.status).toBe(200);
    expect(renamed.json).toMatchObject({ name: 'Acme SMS', slug: 'default' });
    expect((await s.request('GET', '/api/v2/summary.json')).json.page.name).toBe('Acme SMS');
  });

  it("sets the page's about text and links, refusing anything but web (or mailto:) addresses", async () => {
    const key = s.creds.apiKey;
    const set = await s.request('PATCH', '/v1/workspace', {
      token: key,
      body: {
        about: '  SMS for Acme taxis.  ',
        websiteUrl: 'https://acme.example',
        supportUrl: 'mailto:help@acme.example',
      },
    });
    expect(set.status).toBe(200);
    expect(set.json).toMatchObject({
      about: 'SMS for Acme taxis.',
      websiteUrl: 'https://acme.example',
      supportUrl: 'mailto:help@acme.example',
    });
    for (const [body, field] of [
      [{ websiteUrl: 'javascript:alert(1)' }, 'websiteUrl'],
      [{ websiteUrl: 'mailto:help@acme.example' }, 'websiteUrl'],
      [{ supportUrl: 'javascript:alert(1)' }, 'supportUrl'],
      [{ supportUrl: 'data:text/html,hi' }, 'supportUrl'],
      [{ about: 'x'.repeat(501) }, 'about'],
    ] as const) {
      const res = await s.request('PATCH', '/v1/workspace', { token: key, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json.error.field).toBe(field);
    }
    const cleared = await s.request('PATCH', '/v1/workspace', {
      token: key,
      body: { about: '', websiteUrl: null, supportUrl: 'https://acme.example/help' },
    });
    expect(cleared.json).toMatchObject({
      about: null,
      websiteUrl: null,
      supportUrl: 'https://acme.example/help',
    });
  });

  it("moves a workspace's status page to a new slug, and refuses a slug that is taken or malformed", async () => {
    const other = await s.createWorkspace('shop-two');
    expect((await s.request('GET', '/s/shop-two/api/v2/summary.json')).status).toBe(200);
    const moved = await s.request('PATCH', '/v1/workspace', {
      token: other.apiKey,
      body: { slug: 'shop-2' },
    });
    expect(moved.status).toBe(200);
    expect(moved.json).toMatchObject({ slug: 'shop-2', statusPageUrl: `${s.url}/s/shop-2` });
    expect((await s.request('GET', '/s/shop-2/api/v2/summary.json')).status).toBe(200);
    // The old address redirects (links in emails already sent keep working), query string and all.
    const old = await fetch(`${s.url}/s/shop-two/api/v2/summary.json?x=1`, { redirect: 'manual' });
    expect(old.status).toBe(301);
    expect(old.headers.get('location')).toBe('/s/shop-2/api/v2/summary.json?x=1');
    expect((await fetch(`${s.url}/s/shop-two/history.rss`, { redirect: 'manual' })).status).toBe(301);
    expect((await s.request('GET', '/s/never-was/api/v2/summary.json')).status).toBe(404);

    // Once another workspace takes the old slug, the address is its page, not a redirect.
    const third = await s.createWorkspace('shop-two');
    expect((await s.request('GET', '/s/shop-two/api/v2/summary.json')).json.page.id).toBe(third.workspaceId);

    const taken = await s.request('PATCH', '/v1/workspace', {
      token: other.apiKey,
      body: { slug: 'default' },
    });
    expect(taken.status).toBe(409);
    expect(taken.json.error).toMatchObject({ code: 'slug_taken', field: 'slug' });
    for (const [body, field] of [
      [{ slug: 'Shop Two' }, 'slug'],
      [{ slug: '-shop' }, 'slug'],
      [{ slug: 'a'.repeat(41) }, 'slug'],
      [{ name: '   ' }, 'name'],
      [{ heartbeatIntervalS: 5 }, 'heartbeatIntervalS'],
      [{ heartbeatIntervalS: 30.5 }, 'heartbeatIntervalS'],
      [{ heartbeatIntervalS: '60' }, 'heartbeatIntervalS'],
      [{ plan: 'pro' }, 'plan'],
    ] as const) {
      const res = await s.request('PATCH', '/v1/workspace', { token: other.apiKey, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json.error.field, JSON.stringify(res.json)).toBe(field);
    }
    expect((await s.request('PATCH', '/v1/workspace', { token: other.apiKey, body: {} })).status).toBe(400);
    // Nothing of the refused changes was written; each key sees only its own workspace.
    expect((await s.request('GET', '/v1/workspace', { token: other.apiKey })).json).toMatchObject({
      id: other.workspaceId,
      slug: 'shop-2',
      name: 'shop-two',
      heartbeatIntervalS: 30,
    });
    expect((await s.request('GET', '/v1/workspace', { token: s.creds.apiKey })).json.slug).toBe('default');
  });

  it('changes the heartbeat interval: the next answer carries it, and each heartbeat is judged by its own', async () => {
    const key = s.creds.apiKey;
    const { deviceId, token } = await s.enrollDevice('Interval phone');
    const beat = () => s.request('POST', '/v1/heartbeats', { token, body: heartbeat({ runId: 'iv' }) });
    expect((await beat()).json.heartbeatIntervalS).toBe(30);

    const changed = await s.request('PATCH', '/v1/workspace', {
      token: key,
      body: { heartbeatIntervalS: 120 },
    });
    expect(changed.json.heartbeatIntervalS).toBe(120);
    // The heartbeat before the change promised 30 s: late by its measure after 2.5 × 30 s.
    s.clock.advance(76_000);
    const device = () => s.request('GET', `/v1/devices/${deviceId}`, { token: key });
    expect((await device()).json.liveness).toBe('suspect');
    const answer = await beat();
    expect(answer.status).toBe(202);
    expect(answer.json.heartbeatIntervalS).toBe(120);
    // The one after it is judged by 120 s: still on time 2.5 × 120 s later.
    s.clock.advance(299_000);
    expect((await device()).json).toMatchObject({ heartbeatIntervalS: 120 });
    await beat();
    s.clock.advance(299_000);
    expect((await device()).json.liveness).toBe('online');
    s.clock.advance(2_000);
    expect((await device()).json.liveness).toBe('suspect');
    await s.request('PATCH', '/v1/workspace', { token: key, body: { heartbeatIntervalS: 30 } });
  });

  it('needs an API key: none, a device token or a wrong key is refused', async () => {
    expect((await s.request('GET', '/v1/workspace')).status).toBe(401);
    const { token } = await s.enrollDevice('Token phone');
    expect((await s.request('GET', '/v1/workspace', { token })).status).toBe(401);
    const wrong = await s.request('PATCH', '/v1/workspace', { token: 'll_admin_nope', body: { name: 'x' } });
    expect(wrong.status).toBe(401);
  });
});
