import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers.ts';

const HOUR = 3_600_000;

describe('incidents and maintenance over the API', () => {
  let s: TestServer;
  let key: string;
  let componentId: string;
  beforeAll(async () => {
    s = await startTestServer();
    key = s.creds.apiKey;
    const components = await s.request('GET', '/v1/components', { token: key });
    componentId = components.json.components[0].id;
  });
  afterAll(() => s.close());

  it('opens an incident that the public twins show at once, posts updates, resolves it', async () => {
    // Warm the public summary cache first: a change must not wait for it to expire.
    expect((await s.request('GET', '/api/v2/summary.json')).json.incidents).toEqual([]);
    const opened = await s.request('POST', '/v1/incidents', {
      token: key,
      body: {
        name: 'Delays on Vodafone',
        impact: 'major',
        componentIds: [componentId],
        body: 'Messages to **Vodafone** numbers are delayed. <script>alert(1)</script>',
      },
    });
    expect(opened.status).toBe(201);
    expect(opened.json).toMatchObject({ status: 'investigating', impact: 'major', resolvedAt: null });
    const summary = await s.request('GET', '/api/v2/summary.json');
    expect(summary.json.incidents.map((i: { name: string }) => i.name)).toEqual(['Delays on Vodafone']);
    expect(summary.json.status.indicator).toBe('major');

    s.clock.advance(10 * 60_000);
    const fixed = await s.request('POST', `/v1/incidents/${opened.json.id}/updates`, {
      token: key,
      body: { status: 'resolved', body: 'Delivered again since 12:10.' },
    });
    expect(fixed.status).toBe(201);
    expect(fixed.json.resolvedAt).toBe(s.clock.now());
    // Newest first, as Statuspage lists them.
    expect(fixed.json.updates.map((u: { status: string }) => u.status)).toEqual([
      'resolved',
      'investigating',
    ]);
    const after = await s.request('GET', '/api/v2/summary.json');
    expect(after.json.incidents).toEqual([]); // the summary lists unresolved incidents only
    expect(after.json.status.indicator).toBe('none');
    const list = await s.request('GET', '/v1/incidents?limit=1', { token: key });
    expect(list.json.incidents[0].id).toBe(opened.json.id);
  });

  it('schedules maintenance, warns when it is announced less than 24 h ahead, and cancels it', async () => {
    const now = s.clock.now();
    const soon = await s.request('POST', '/v1/maintenances', {
      token: key,
      body: { title: 'SIM swap', startsAt: now + HOUR, endsAt: now + 2 * HOUR, componentIds: [componentId] },
    });
    expect(soon.status).toBe(201);
    expect(soon.json.status).toBe('scheduled');
    expect(soon.json.warnings).toEqual(['Announced less than 24 h ahead: subscribers get short notice.']);
    const later = await s.request('POST', '/v1/maintenances', {
      token: key,
      body: { title: 'Router upgrade', startsAt: now + 48 * HOUR, endsAt: now + 49 * HOUR },
    });
    expect(later.json.warnings).toBeUndefined();
    expect(later.json.componentIds).toBeNull();
    const scheduled = await s.request('GET', '/api/v2/scheduled-maintenances.json');
    expect(scheduled.json.scheduled_maintenances.map((m: { name: string }) => m.name).sort()).toEqual([
      'Router upgrade',
      'SIM swap',
    ]);
    const cancelled = await s.request('PATCH', `/v1/maintenances/${later.json.id}`, {
      token: key,
      body: { cancelled: true },
    });
    expect(cancelled.json.cancelledAt).toBe(now);
  });

  it('refuses bad input naming the field, and keeps to its workspace', async () => {
    const now = s.clock.now();
    const backwards = await s.request('POST', '/v1/maintenances', {
      token: key,
      body: { title: 'x', startsAt: now + HOUR, endsAt: now },
    });
    expect(backwards.status).toBe(400);
    expect(backwards.json.error.field).toBe('endsAt');
    const foreign = await s.request('POST', '/v1/incidents', {
      token: key,
      body: { name: 'x', body: 'y', componentIds: ['cmp_not_mine'] },
    });
    expect(foreign.status).toBe(400);
    expect(foreign.json.error.field).toBe('componentIds');
    const empty = await s.request('POST', '/v1/incidents', { token: key, body: { name: 'x', body: '   ' } });
    expect(empty.json.error.field).toBe('body');
    const badStatus = await s.request('POST', '/v1/incidents', {
      token: key,
      body: { name: 'x', body: 'y', status: 'fixed' },
    });
    expect(badStatus.json.error.field).toBe('status');
    const mine = await s.request('GET', '/v1/incidents', { token: key });
    const other = await s.createWorkspace('other-incidents');
    const peek = await s.request('GET', `/v1/incidents/${mine.json.incidents[0].id}`, {
      token: other.apiKey,
    });
    expect(peek.status).toBe(404);
    const post = await s.request('POST', `/v1/incidents/${mine.json.incidents[0].id}/updates`, {
      token: other.apiKey,
      body: { status: 'resolved', body: 'not mine' },
    });
    expect(post.status).toBe(404);
    expect((await s.request('GET', '/v1/incidents', { token: other.apiKey })).json.incidents).toEqual([]);
  });
});
