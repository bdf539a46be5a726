import { newId } from '@lifeline/db';
import { maintenances } from '@lifeline/db/schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers.ts';
import { SendLedger, TestDevice } from './test-device.ts';

let s: TestServer;
beforeAll(async () => {
  s = await startTestServer();
});
afterAll(async () => {
  await s.close();
});

async function components() {
  const res = await s.request('GET', '/v1/components', { token: s.creds.apiKey });
  expect(res.status).toBe(200);
  return res.json.components as {
    id: string;
    source: string;
    status: string;
    signal: { value: number | null; events?: number };
  }[];
}
const bySource = async (source: string) => (await components()).find((c) => c.source === source)!;

describe('components', () => {
  it('starts with Platform and Device connectivity, and derives connectivity from the share of phones online', async () => {
    expect((await components()).map((c) => c.source)).toEqual(['platform', 'devices']);
    expect((await bySource('devices')).status).toBe('operational'); // no phones: no data, not an outage
    const ledger = new SendLedger();
    const phones = [];
    for (const name of ['p1', 'p2', 'p3', 'p4']) phones.push(await TestDevice.enroll(s, name, ledger));
    expect(await bySource('devices')).toMatchObject({ status: 'operational', signal: { value: 1 } });
    s.clock.advance(200_000); // everyone silent past 5 intervals ...
    for (const p of phones.slice(0, 3)) await p.heartbeat(); // ... but three come back (first heartbeat after offline: still offline)
    for (const p of phones.slice(0, 3)) await p.heartbeat();
    expect(await bySource('devices')).toMatchObject({
      status: 'degraded_performance',
      signal: { value: 0.75 },
    });
    s.clock.advance(200_000);
    for (const p of phones.slice(0, 2)) await p.heartbeat();
    for (const p of phones.slice(0, 2)) await p.heartbeat();
    expect(await bySource('devices')).toMatchObject({ status: 'partial_outage', signal: { value: 0.5 } });

    // A carrier component appears with the first message through it, and follows its 15-minute delivery rate.
    await s.request('POST', '/v1/messages/batch', {
      token: s.creds.apiKey,
      body: {
        messages: Array.from({ length: 30 }, (_, i) => ({
          to: `+4477009000${String(i).padStart(2, '0')}`,
          text: 'x',
        })),
      },
    });
    for (const p of phones.slice(0, 2)) {
      const leased = await p.poll();
      const sent = await p.submit(leased);
      await p.report(
        sent.flatMap((m, i) => [
          { messageId: m.id, attempt: m.attempt, status: i % 3 === 0 ? 'undelivered' : 'delivered' },
        ]),
      );
    }
    const carrier = await bySource('carrier:Vodafone UK');
    expect(carrier.signal.events).toBe(30);
    expect(carrier.signal.value).toBeCloseTo(20 / 30, 1);
    expect(carrier.status).toBe('partial_outage');
  });

  it('lets maintenance and then an override win over the signal', async () => {
    const devices = await bySource('devices');
    await s.deps.db.insert(maintenances).values({
      id: newId('mnt'),
      workspaceId: s.creds.workspaceId,
      title: 'Moving the phones',
      startsAt: s.clock.now() - 60_000,
      endsAt: s.clock.now() + 3_600_000,
      componentIds: [devices.id],
      createdAt: s.clock.now(),
    });
    expect((await bySource('devices')).status).toBe('under_maintenance');
    expect((await bySource('platform')).status).toBe('operational');
    const until = s.clock.now() + 60_000;
    const o = await s.request('PATCH', `/v1/components/${devices.id}`, {
      token: s.creds.apiKey,
      body: { override: { status: 'major_outage', until } },
    });
    expect(o.status).toBe(200);
    expect(o.json).toMatchObject({ status: 'major_outage', override: { status: 'major_outage', until } });
    s.clock.advance(61_000);
    expect((await bySource('devices')).status).toBe('under_maintenance'); // the override expired
  });

  it('validates thresholds, creates manual components and keeps to the workspace', async () => {
    const devices = await bySource('devices');
    const bad = await s.request('PATCH', `/v1/components/${devices.id}`, {
      token: s.creds.apiKey,
      body: { thresholds: { degradedBelow: 0.5, partialBelow: 0.9 } },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error.field).toBe('thresholds');
    const created = await s.request('POST', '/v1/components', {
      token: s.creds.apiKey,
      body: { name: 'Website', layer: 'upstream' },
    });
    expect(created.status).toBe(201);
    expect(created.json.status).toBe('operational');
    const dup = await s.request('POST', '/v1/components', {
      token: s.creds.apiKey,
      body: { name: 'Again', layer: 'devices', source: 'devices' },
    });
    expect(dup.status).toBe(409);
    const other = await s.createWorkspace('other');
    expect(
      (
        await s.request('PATCH', `/v1/components/${devices.id}`, {
          token: other.apiKey,
          body: { name: 'mine now' },
        })
      ).status,
    ).toBe(404);
    expect(
      (await s.request('DELETE', `/v1/components/${created.json.id}`, { token: s.creds.apiKey })).status,
    ).toBe(204);
  });
});
