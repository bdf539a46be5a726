import { newId } from '@lifeline/db';
import { maintenances } from '@lifeline/db/schema';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { heartbeat, startTestServer, type TestServer } from './helpers.ts';

const MIN = 60_000;
let s: TestServer;
beforeEach(async () => {
  s = await startTestServer();
});
afterEach(async () => {
  await s.close();
});

/** Heartbeats every 30 s from `from` to `to` (server time). */
async function beatBetween(token: string, from: number, to: number) {
  for (let t = from; t < to; t += 30_000) {
    s.clock.set(t);
    const r = await s.request('POST', '/v1/heartbeats', {
      token,
      body: heartbeat({ runId: token.slice(-8), bootId: 'b' }),
    });
    expect(r.status).toBe(202);
  }
}

async function devicesFigures(from: number, to: number) {
  const res = await s.request('GET', `/v1/reliability/summary?from=${from}&to=${to}`, {
    token: s.creds.apiKey,
  });
  expect(res.status).toBe(200);
  return res.json.custom.devices as { onlineMs: number; observedMs: number; uptime: number | null };
}

describe('exclusions from uptime', () => {
  it('leaves time before enrolment out, and counts a silence as down', async () => {
    const t0 = s.clock.now();
    s.clock.set(t0 + 60 * MIN);
    const d = await s.enrollDevice('late'); // enrolled an hour into the window
    await beatBetween(d.token, t0 + 60 * MIN, t0 + 90 * MIN);
    s.clock.set(t0 + 120 * MIN);
    const f = await devicesFigures(t0, t0 + 120 * MIN);
    expect(f.observedMs).toBe(60 * MIN);
    // heartbeats from +60 to +89.5 min cover until +90m45s
    expect(f.onlineMs).toBe(30 * MIN + 45_000);
  });

  it('leaves paused time out', async () => {
    const t0 = s.clock.now();
    const d = await s.enrollDevice('paused');
    await beatBetween(d.token, t0, t0 + 30 * MIN);
    s.clock.set(t0 + 30 * MIN);
    await s.request('PATCH', `/v1/devices/${d.deviceId}`, { token: s.creds.apiKey, body: { paused: true } });
    s.clock.set(t0 + 90 * MIN);
    await s.request('PATCH', `/v1/devices/${d.deviceId}`, { token: s.creds.apiKey, body: { paused: false } });
    await beatBetween(d.token, t0 + 90 * MIN, t0 + 120 * MIN);
    s.clock.set(t0 + 120 * MIN);
    const f = await devicesFigures(t0, t0 + 120 * MIN);
    expect(f.observedMs).toBe(60 * MIN);
    // online: 0..30m plus the last heartbeat's 45 s into the pause (not observed, so clamped away below)
    expect(f.onlineMs).toBeLessThanOrEqual(f.observedMs);
    expect(f.uptime).toBeGreaterThan(0.98);
  });

  it('leaves a maintenance window out of both online and observed time, even one added afterwards', async () => {
    const t0 = s.clock.now();
    const d = await s.enrollDevice('maintained');
    await beatBetween(d.token, t0, t0 + 30 * MIN);
    await beatBetween(d.token, t0 + 60 * MIN, t0 + 120 * MIN); // silent 30..60 min
    s.clock.set(t0 + 120 * MIN);
    const before = await devicesFigures(t0, t0 + 120 * MIN);
    expect(before.uptime).toBeLessThan(0.8);
    await s.deps.db.insert(maintenances).values({
      id: newId('mnt'),
      workspaceId: d.workspaceId,
      title: 'SIM swap',
      startsAt: t0 + 30 * MIN,
      endsAt: t0 + 60 * MIN,
      componentIds: null,
      createdAt: s.clock.now(),
    });
    const after = await devicesFigures(t0, t0 + 120 * MIN);
    expect(after.observedMs).toBe(90 * MIN);
    expect(after.onlineMs).toBe(90 * MIN);
    expect(after.uptime).toBe(1);
    // The chart's hourly buckets leave the same window out: the same figures, bucket by bucket.
    const series = await s.request(
      'GET',
      `/v1/reliability/uptime?layer=devices&scope=device:${d.deviceId}&from=${t0}&to=${t0 + 120 * MIN}&bucket=hour`,
      { token: s.creds.apiKey },
    );
    expect(series.status).toBe(200);
    const points = series.json.points as { good: number; total: number; ratio: number | null }[];
    expect(points.reduce((a, p) => a + p.total, 0)).toBe(90 * MIN);
    expect(points.reduce((a, p) => a + p.good, 0)).toBe(90 * MIN);
    expect(points.every((p) => p.ratio === null || p.ratio === 1)).toBe(true);
  });
});

describe('SLOs', () => {
  it('creates, lists, changes and deletes SLOs, with a status even before any data', async () => {
    const created = await s.request('POST', '/v1/slos', {
      token: s.creds.apiKey,
      body: { name: 'Delivery', indicator: 'delivery' },
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ target: 0.97, windowDays: 30, scope: 'workspace', minEvents: 50 });
    const status = await s.request('GET', `/v1/slos/${created.json.id}/status`, { token: s.creds.apiKey });
    expect(status.status).toBe(200);
    expect(status.json).toMatchObject({ attainment: null, severity: null });
    expect(status.json.alerts).toHaveLength(4);
    expect(status.json.alerts.every((a: { insufficientData: boolean }) => a.insufficientData)).toBe(true);
    const patched = await s.request('PATCH', `/v1/slos/${created.json.id}`, {
      token: s.creds.apiKey,
      body: { target: 0.95, windowDays: 7 },
    });
    expect(patched.json).toMatchObject({ target: 0.95, windowDays: 7 });
    expect((await s.request('GET', '/v1/slos', { token: s.creds.apiKey })).json.slos).toHaveLength(1);
    expect((await s.request('DELETE', `/v1/slos/${created.json.id}`, { token: s.creds.apiKey })).status).toBe(
      204,
    );
    expect((await s.request('GET', `/v1/slos/${created.json.id}`, { token: s.creds.apiKey })).status).toBe(
      404,
    );
  });

  it.each([
    ['target below 0.90', { name: 'x', indicator: 'delivery', target: 0.8 }, 'target'],
    ['target above 0.999', { name: 'x', indicator: 'delivery', target: 0.9999 }, 'target'],
    [
      'a window that is not 7, 28 or 30 days',
      { name: 'x', indicator: 'delivery', windowDays: 14 },
      'windowDays',
    ],
    ['an unknown indicator', { name: 'x', indicator: 'latency' }, 'indicator'],
    ['a carrier scope without its name', { name: 'x', indicator: 'delivery', scope: 'carrier' }, 'scopeId'],
    [
      'a device scope with an unknown device',
      { name: 'x', indicator: 'device_uptime', scope: 'device', scopeId: 'dev_x' },
      'scopeId',
    ],
    [
      'uptime scoped to a carrier',
      { name: 'x', indicator: 'device_uptime', scope: 'carrier', scopeId: 'X' },
      'scope',
    ],
  ])('refuses %s', async (_n, body, field) => {
    const res = await s.request('POST', '/v1/slos', { token: s.creds.apiKey, body });
    expect(res.status).toBe(400);
    expect(res.json.error.field).toBe(field);
    expect((await s.request('GET', '/v1/slos', { token: s.creds.apiKey })).json.slos).toHaveLength(0);
  });

  it('keeps SLOs and figures to their workspace', async () => {
    const other = await s.createWorkspace('other');
    const mine = await s.request('POST', '/v1/slos', {
      token: s.creds.apiKey,
      body: { name: 'Mine', indicator: 'delivery' },
    });
    expect((await s.request('GET', `/v1/slos/${mine.json.id}/status`, { token: other.apiKey })).status).toBe(
      404,
    );
    expect((await s.request('GET', '/v1/slos', { token: other.apiKey })).json.slos).toHaveLength(0);
    const d = await s.enrollDevice('mine');
    const series = await s.request('GET', `/v1/reliability/uptime?scope=device:${d.deviceId}`, {
      token: other.apiKey,
    });
    expect(series.status).toBe(404);
  });
});

describe('series', () => {
  it('gives 90 daily bars by default and refuses too many buckets', async () => {
    const res = await s.request('GET', '/v1/reliability/uptime', { token: s.creds.apiKey });
    expect(res.status).toBe(200);
    expect(res.json.points.length).toBeGreaterThanOrEqual(90);
    expect(res.json.points.length).toBeLessThanOrEqual(91);
    const tooMany = await s.request('GET', '/v1/reliability/uptime?bucket=minute', { token: s.creds.apiKey });
    expect(tooMany.status).toBe(400);
    expect(tooMany.json.error.field).toBe('bucket');
    const badScope = await s.request('GET', '/v1/reliability/uptime?scope=galaxy', { token: s.creds.apiKey });
    expect(badScope.status).toBe(400);
    expect(badScope.json.error.field).toBe('scope');
  });
});
