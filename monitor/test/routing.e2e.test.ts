import { messages, simUsageMinutes } from '@lifeline/db/schema';
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { RoutingPassOutcome } from '../src/pipeline/notifier.ts';
import { startTestServer, type TestServer } from './helpers.ts';
import { SendLedger, TestDevice } from './test-device.ts';

/**
 * The outbox's routing: each queued message is routed once (assigned to a device and SIM) and each poll
 * leases only what was assigned to its device; an accept wakes only the devices that got work.
 */
let s: TestServer;
let ledger: SendLedger;
beforeEach(async () => {
  s = await startTestServer();
  ledger = new SendLedger();
});
afterEach(async () => {
  vi.restoreAllMocks();
  await s.close();
});

const recipients = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => `+4477009${String(from + i).padStart(5, '0')}`);

async function send(items: { to: string; deviceId?: string }[]) {
  const res = await s.request('POST', '/v1/messages/batch', {
    token: s.creds.apiKey,
    body: { messages: items.map((m) => ({ text: 'Your code is 1234', ...m })) },
  });
  expect(res.status).toBe(201);
  return res.json.messages.map((m: { id: string }) => m.id) as string[];
}

async function rows() {
  return s.deps.db.select().from(messages);
}

/** Counts routing passes that ran and poll iterations (each asks the notifier whether a pass is due). */
function countRoutingWork() {
  const n = s.deps.notifier;
  const counts = { passes: 0, pollIterations: 0 };
  const route = n.route.bind(n);
  vi.spyOn(n, 'route').mockImplementation((ws, due, pass) => {
    counts.pollIterations++;
    return route(ws, due, (): Promise<RoutingPassOutcome> => {
      counts.passes++;
      return pass();
    });
  });
  return counts;
}

describe('routing once, leasing one’s own', () => {
  it('routes every queued message once and hands each device only the messages routed to it', async () => {
    const devices = await Promise.all(['a', 'b', 'c'].map((n) => TestDevice.enroll(s, n, ledger)));
    const [a, b, c] = devices as [TestDevice, TestDevice, TestDevice];
    const ids = await send(recipients(150).map((to) => ({ to })));

    const leasedByA = await a.poll();
    const after = await rows();
    // One pass assigned all of them; a leased exactly its share, the rest wait for their own devices.
    const assigned = new Map(
      after.filter((m) => m.status === 'queued').map((m) => [m.id, m.routedDeviceId] as const),
    );
    expect(new Set(assigned.values())).toEqual(new Set([b.deviceId, c.deviceId]));
    expect(leasedByA.length).toBeGreaterThan(20);
    expect(leasedByA.length + assigned.size).toBe(150);
    for (const m of after.filter((m) => m.status === 'leased')) {
      expect(m.deviceId).toBe(a.deviceId);
      expect(m.routedDeviceId).toBeNull();
    }

    const leasedByB = await b.poll();
    expect(new Set(leasedByB.map((m) => m.id))).toEqual(
      new Set([...assigned].filter(([, d]) => d === b.deviceId).map(([id]) => id)),
    );
    const leasedByC = await c.poll();
    expect(leasedByA.length + leasedByB.length + leasedByC.length).toBe(150);
    expect(new Set([...leasedByA, ...leasedByB, ...leasedByC].map((m) => m.id))).toEqual(new Set(ids));
  });

  it('wakes only the device that got work: one routing pass, no routing work in the others’ polls', async () => {
    const devices: TestDevice[] = [];
    for (const name of ['a', 'b', 'c', 'd', 'e', 'f']) devices.push(await TestDevice.enroll(s, name, ledger));
    const answered: string[] = [];
    const polls = devices.map(async (d) => {
      const res = await s.request('GET', '/v1/devices/me/outbox?wait=3', { token: d.token });
      if (res.json.messages.length > 0) answered.push(d.deviceId);
      return res.json.messages as { id: string }[];
    });
    await new Promise((r) => setTimeout(r, 300)); // every poll is waiting
    const counts = countRoutingWork();

    const [id] = await send([{ to: '+447700900001' }]);
    for (let i = 0; i < 100 && answered.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    await new Promise((r) => setTimeout(r, 100));
    expect(answered).toHaveLength(1);
    expect(counts.passes).toBe(1);
    // The poll woken to route, and the target's (the same one, or one more): not six.
    expect(counts.pollIterations).toBeLessThanOrEqual(2);

    const results = await Promise.all(polls);
    expect(results.flat().map((m) => m.id)).toEqual([id]);
  });

  it('does no routing in a poll that has nothing of its own when no new work was reported', async () => {
    const a = await TestDevice.enroll(s, 'a', ledger);
    const b = await TestDevice.enroll(s, 'b', ledger);
    await send(recipients(10).map((to) => ({ to })));
    await a.poll(); // the pass
    await b.poll();
    const counts = countRoutingWork();
    expect(await a.poll()).toEqual([]);
    expect(await b.poll()).toEqual([]);
    expect(counts.passes).toBe(0);
    // New work is routed by the next poll, whichever device polls.
    await send([{ to: '+447700900999' }]);
    await a.poll();
    expect(counts.passes).toBe(1);
    expect((await rows()).filter((m) => m.status === 'queued' && m.routedDeviceId === null)).toEqual([]);
  });

  it('answers a poll at once when work arrives while it is looking (no missed wake-up)', async () => {
    const d = await TestDevice.enroll(s, 'waiting', ledger);
    await d.poll(); // the first pass of the workspace is behind us
    const n = s.deps.notifier;
    const route = n.route.bind(n);
    let accepted: Promise<unknown> | undefined;
    // The message is accepted (and the notify sent) after the poll's routing pass, before it waits.
    vi.spyOn(n, 'route').mockImplementation(async (ws, due, pass) => {
      await route(ws, due, pass);
      accepted ??= s.request('POST', '/v1/messages', {
        token: s.creds.apiKey,
        body: { to: '+447700900001', text: 'now' },
      });
      await accepted;
    });
    const started = Date.now();
    const res = await s.request('GET', '/v1/devices/me/outbox?wait=10', { token: d.token });
    expect(res.json.messages).toHaveLength(1);
    // Not the 2 s re-check: the version taken before looking saw the notify.
    expect(Date.now() - started).toBeLessThan(1_500);
  });
});

describe('assignments follow the devices', () => {
  it('reroutes messages assigned to a device that stopped being routable before it leased them', async () => {
    const a = await TestDevice.enroll(s, 'a', ledger);
    const b = await TestDevice.enroll(s, 'b', ledger);
    const ids = await send(recipients(40).map((to) => ({ to, deviceId: a.deviceId })));
    expect(await b.poll()).toEqual([]); // routes all 40 to a, which never polls again
    expect((await rows()).every((m) => m.routedDeviceId === a.deviceId)).toBe(true);

    s.clock.advance(80_000); // a is silent past 2.5 heartbeat intervals: suspect, no longer routable
    await b.heartbeat();
    expect(await b.work()).toBe(40);
    expect([...ledger.sends.keys()].sort()).toEqual([...ids].sort());
    expect(ledger.duplicates()).toEqual([]);
    await a.heartbeat();
    expect(await a.poll()).toEqual([]);
  });

  it('gives back assignments its SIM has no room for at lease time; they spill to another device', async () => {
    const a = await TestDevice.enroll(s, 'a', ledger);
    const b = await TestDevice.enroll(s, 'b', ledger);
    await send(recipients(20).map((to) => ({ to, deviceId: a.deviceId })));
    expect(await b.poll()).toEqual([]); // all 20 routed to a while its limit was 10,000 a minute
    const res = await s.request('PATCH', `/v1/devices/${a.deviceId}`, {
      token: s.creds.apiKey,
      body: { simRatePerMinute: 5 },
    });
    expect(res.status).toBe(200);

    expect(await a.poll()).toHaveLength(5);
    const back = (await rows()).filter((m) => m.status === 'queued');
    expect(back).toHaveLength(15);
    expect(back.every((m) => m.routedDeviceId === null)).toBe(true);
    expect(await b.poll()).toHaveLength(15);
  });

  it('counts what a poll leased against each SIM it went out on', async () => {
    const a = await TestDevice.enroll(s, 'dual', ledger);
    a.sims.push({ slot: 1, carrier: 'EE', signalDbm: -90 });
    await a.heartbeat();
    const long = 'x'.repeat(200); // two GSM-7 segments
    await s.request('POST', '/v1/messages/batch', {
      token: s.creds.apiKey,
      body: { messages: recipients(40).map((to) => ({ to, text: long })) },
    });
    const leased = await a.poll();
    expect(leased).toHaveLength(40);
    const bySlot = new Map<number, number>();
    for (const m of leased) bySlot.set(m.simSlot!, (bySlot.get(m.simSlot!) ?? 0) + m.segments);
    expect([...bySlot.keys()].sort()).toEqual([0, 1]);
    const usage = await s.deps.db.select().from(simUsageMinutes);
    expect(usage.map((u) => [u.simSlot, u.segments]).sort()).toEqual([...bySlot].sort());
    // A second poll finds nothing and counts nothing more.
    expect(await a.poll()).toEqual([]);
    expect((await s.deps.db.select().from(simUsageMinutes)).map((u) => u.segments).sort()).toEqual(
      usage.map((u) => u.segments).sort(),
    );
  });

  it('checks the device’s group at lease time', async () => {
    const a = await TestDevice.enroll(s, 'a', ledger);
    const b = await TestDevice.enroll(s, 'b', ledger);
    for (const d of [a, b]) {
      await s.request('PATCH', `/v1/devices/${d.deviceId}`, { token: s.creds.apiKey, body: { group: 'eu' } });
    }
    const res = await s.request('POST', '/v1/messages', {
      token: s.creds.apiKey,
      body: { to: '+447700900001', text: 'hi', group: 'eu', deviceId: a.deviceId },
    });
    expect(res.status).toBe(201);
    expect(await b.poll()).toEqual([]); // routed to a
    await s.request('PATCH', `/v1/devices/${a.deviceId}`, { token: s.creds.apiKey, body: { group: 'us' } });
    expect(await a.poll()).toEqual([]);
    const [row] = await s.deps.db.select().from(messages).where(eq(messages.id, res.json.id));
    expect(row).toMatchObject({ status: 'queued', routedDeviceId: null });
    expect((await b.poll()).map((m) => m.id)).toEqual([res.json.id]);
  });
});
