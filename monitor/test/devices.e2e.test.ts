import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tick } from '../src/tick.ts';
import { heartbeat, startTestServer, type TestServer } from './helpers.ts';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  await s.close();
});

describe('a device enrols, heartbeats, and its live status is right', () => {
  it('goes online on its first heartbeat, suspect after grace, offline after 5 intervals, and back with hysteresis', async () => {
    const { deviceId, token } = await s.enrollDevice('Shop phone');
    const admin = s.creds.apiKey;

    let d = await s.request('GET', `/v1/devices/${deviceId}`, { token: admin });
    expect(d.status).toBe(200);
    expect(d.json).toMatchObject({
      name: 'Shop phone',
      liveness: 'offline',
      lastSeenAt: null,
      status: 'active',
    });

    const hb = await s.request('POST', '/v1/heartbeats', {
      token,
      body: heartbeat({ deviceTime: s.clock.now() + 1_500 }),
    });
    expect(hb.status).toBe(202);
    expect(hb.json).toEqual({ serverTime: s.clock.now(), heartbeatIntervalS: 30, clockSkewMs: 1_500 });

    d = await s.request('GET', `/v1/devices/${deviceId}`, { token: admin });
    expect(d.json).toMatchObject({
      liveness: 'online',
      lastSeenAt: s.clock.now(),
      clockSkewMs: 1_500,
      appVersion: '0.1.0',
      lastGapKind: 'first',
      health: { status: 'pass', reasons: [] },
    });
    expect(d.json.lastHealth.sims[0].carrier).toBe('Vodafone UK');

    s.clock.advance(75_000); // exactly at grace: still online
    d = await s.request('GET', `/v1/devices/${deviceId}`, { token: admin });
    expect(d.json.liveness).toBe('online');

    s.clock.advance(1); // past grace
    d = await s.request('GET', `/v1/devices/${deviceId}`, { token: admin });
    expect(d.json.liveness).toBe('suspect');
    expect(d.json.health.reasons).toEqual([
      { code: 'agent_down', status: 'warn', message: 'Heartbeats are late.' },
    ]);

    s.clock.advance(75_000); // past 5 intervals
    d = await s.request('GET', `/v1/devices/${deviceId}`, { token: admin });
    expect(d.json.liveness).toBe('offline');
    expect(d.json.health.status).toBe('fail');

    const report = await tick(s.deps, s.clock.now());
    expect(report.livenessChanges).toContainEqual(
      expect.objectContaining({ deviceId, from: 'online', to: 'offline' }),
    );

    // Comes back: one heartbeat is not enough (hysteresis), the second on time is.
    s.clock.advance(600_000);
    await s.request('POST', '/v1/heartbeats', { token, body: heartbeat({ runId: 'run-2', seq: 0 }) });
    d = await s.request('GET', `/v1/devices/${deviceId}`, { token: admin });
    expect(d.json).toMatchObject({ liveness: 'offline', lastGapKind: 'agent_restart' });
    s.clock.advance(30_000);
    await s.request('POST', '/v1/heartbeats', { token, body: heartbeat({ runId: 'run-2', seq: 1 }) });
    d = await s.request('GET', `/v1/devices/${deviceId}`, { token: admin });
    expect(d.json).toMatchObject({ liveness: 'online', lastGapKind: 'continuous' });
  });

  it('reports 24 h uptime as online time over observed time', async () => {
    const { deviceId, token } = await s.enrollDevice('Uptime phone');
    // 10 heartbeats 30 s apart cover 9 x 30 s + 75 s = 345 s; then silence.
    const start = s.clock.now();
    for (let i = 0; i < 10; i++) {
      await s.request('POST', '/v1/heartbeats', { token, body: heartbeat({ runId: 'u', seq: i }) });
      s.clock.advance(30_000);
    }
    s.clock.set(start + 1_000_000);
    const d = await s.request('GET', `/v1/devices/${deviceId}`, { token: s.creds.apiKey });
    expect(d.json.uptime24h).toBeCloseTo(345_000 / 1_000_000, 10);
  });

  it('lists, renames, pauses, resumes and revokes devices', async () => {
    const admin = s.creds.apiKey;
    const { deviceId, token } = await s.enrollDevice('Old name');

    const renamed = await s.request('PATCH', `/v1/devices/${deviceId}`, {
      token: admin,
      body: { name: 'New name', weight: 70 },
    });
    expect(renamed.status).toBe(200);
    expect(renamed.json).toMatchObject({ name: 'New name', weight: 70 });

    const paused = await s.request('PATCH', `/v1/devices/${deviceId}`, {
      token: admin,
      body: { paused: true },
    });
    expect(paused.json).toMatchObject({ status: 'paused', pausedAt: s.clock.now() });
    const refused = await s.request('POST', '/v1/heartbeats', { token, body: heartbeat() });
    expect(refused.status).toBe(403);
    expect(refused.json.error.code).toBe('device_paused');

    const resumed = await s.request('PATCH', `/v1/devices/${deviceId}`, {
      token: admin,
      body: { paused: false },
    });
    expect(resumed.json).toMatchObject({ status: 'active', pausedAt: null });
    expect((await s.request('POST', '/v1/heartbeats', { token, body: heartbeat() })).status).toBe(202);

    const list = await s.request('GET', '/v1/devices?limit=2', { token: admin });
    expect(list.status).toBe(200);
    expect(list.json.devices).toHaveLength(2);
    expect(list.json.nextCursor).toEqual(list.json.devices[1].id);
    const rest = await s.request('GET', `/v1/devices?limit=200&cursor=${list.json.nextCursor}`, {
      token: admin,
    });
    const all = [...list.json.devices, ...rest.json.devices].map((x: { id: string }) => x.id);
    expect(all).toContain(deviceId);
    expect(new Set(all).size).toBe(all.length);

    const revoked = await s.request('DELETE', `/v1/devices/${deviceId}`, { token: admin });
    expect(revoked.json.status).toBe('revoked');
    const after = await s.request('POST', '/v1/heartbeats', { token, body: heartbeat() });
    expect(after.status).toBe(401);
    expect(after.json.error.code).toBe('device_revoked');
    const listed = await s.request('GET', '/v1/devices?limit=200', { token: admin });
    expect(listed.json.devices.map((x: { id: string }) => x.id)).not.toContain(deviceId);
    // a revoked device cannot be changed again
    expect(
      (await s.request('PATCH', `/v1/devices/${deviceId}`, { token: admin, body: { paused: false } })).status,
    ).toBe(404);
  });

  it('lets a device see itself', async () => {
    const { deviceId, token } = await s.enrollDevice('Me');
    const me = await s.request('GET', '/v1/devices/me', { token });
    expect(me.status).toBe(200);
    expect(me.json.id).toBe(deviceId);
  });

  it('exchanges a code exactly once, even when two devices race for it', async () => {
    const code = await s.request('POST', '/v1/enrollment-codes', {
      token: s.creds.apiKey,
      body: { deviceName: 'Racer' },
    });
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        s.request('POST', '/v1/devices/enroll', { body: { code: code.json.code } }),
      ),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect(results.filter((r) => r.status === 410).every((r) => r.json.error.code === 'code_used')).toBe(
      true,
    );
    const winner = results.find((r) => r.status === 201)!;
    expect(winner.json.name).toBe('Racer');
    // codes are accepted in lower case and without dashes, as people type them
    const code2 = await s.request('POST', '/v1/enrollment-codes', { token: s.creds.apiKey, body: {} });
    const typed = code2.json.code.replace(/-/g, '').toLowerCase();
    expect((await s.request('POST', '/v1/devices/enroll', { body: { code: typed } })).status).toBe(201);
  });
});
