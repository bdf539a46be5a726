import { webhookDeliveries } from '@lifeline/db/schema';
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tick } from '../src/tick.ts';
import { startTestServer, type TestServer } from './helpers.ts';
import { SendLedger, TestDevice } from './test-device.ts';

let s: TestServer;
let ledger: SendLedger;
beforeEach(async () => {
  s = await startTestServer();
  ledger = new SendLedger();
});
afterEach(async () => {
  await s.close();
});

const recipients = (n: number) =>
  Array.from({ length: n }, (_, i) => `+4477009${String(i).padStart(5, '0')}`);

async function sendBatch(texts: { to: string; text?: string; ttlS?: number }[], key?: string) {
  const res = await s.request('POST', '/v1/messages/batch', {
    token: s.creds.apiKey,
    headers: key ? { 'idempotency-key': key } : {},
    body: { messages: texts.map((t) => ({ text: 'Your code is 1234', ...t })) },
  });
  return res;
}

async function statusOf(id: string) {
  return (await s.request('GET', `/v1/messages/${id}`, { token: s.creds.apiKey })).json;
}

/**
 * Everyone heartbeats, polls and works, 30 s of server time a round, until nothing was sent for 6 rounds
 * in a row (3 minutes: longer than a lease and the offline threshold, so stranded work has come back).
 */
async function runFleet(devices: TestDevice[], rounds = 40) {
  let idle = 0;
  for (let r = 0; r < rounds && idle < 6; r++) {
    for (const d of devices) await d.heartbeat();
    let worked = 0;
    for (const d of devices) worked += await d.work();
    await tick(s.deps, s.clock.now());
    idle = worked === 0 ? idle + 1 : 0;
    s.clock.advance(30_000);
  }
}

describe('accept', () => {
  it('queues a message with its segment count and returns the same message for a retried Idempotency-Key', async () => {
    const body = { to: '+447700900123', text: 'Привет! Ваш код 1234' };
    const first = await s.request('POST', '/v1/messages', {
      token: s.creds.apiKey,
      headers: { 'idempotency-key': 'k1' },
      body,
    });
    expect(first.status).toBe(201);
    expect(first.json).toMatchObject({
      status: 'queued',
      encoding: 'ucs2',
      segments: 1,
      to: '+447700900123',
    });
    const retry = await s.request('POST', '/v1/messages', {
      token: s.creds.apiKey,
      headers: { 'idempotency-key': 'k1' },
      body,
    });
    expect(retry.status).toBe(200);
    expect(retry.json.id).toBe(first.json.id);
    const conflict = await s.request('POST', '/v1/messages', {
      token: s.creds.apiKey,
      headers: { 'idempotency-key': 'k1' },
      body: { ...body, text: 'something else' },
    });
    expect(conflict.status).toBe(409);
    expect(conflict.json.error.code).toBe('idempotency_key_reused');
    const list = await s.request('GET', '/v1/messages', { token: s.creds.apiKey });
    expect(list.json.messages).toHaveLength(1);
    const got = await statusOf(first.json.id);
    expect(got.events).toEqual([expect.objectContaining({ status: 'queued', source: 'api', applied: true })]);
  });

  it('takes a batch of 1,000 all or nothing, idempotently', async () => {
    const items = recipients(1000).map((to) => ({ to }));
    const bad = [...items.slice(0, 500), { to: '07700 900123' }, ...items.slice(501)];
    const refused = await sendBatch(bad);
    expect(refused.status).toBe(400);
    expect(refused.json.error.field).toBe('messages.500.to');
    expect((await s.request('GET', '/v1/messages', { token: s.creds.apiKey })).json.messages).toHaveLength(0);

    const ok = await sendBatch(items, 'campaign-1');
    expect(ok.status).toBe(201);
    expect(ok.json.messages).toHaveLength(1000);
    const again = await sendBatch(items, 'campaign-1');
    expect(again.status).toBe(200);
    expect(again.json.messages.map((m: { id: string }) => m.id)).toEqual(
      ok.json.messages.map((m: { id: string }) => m.id),
    );
    const page = await s.request('GET', '/v1/messages?limit=500&status=queued', { token: s.creds.apiKey });
    expect(page.json.messages).toHaveLength(500);
    const next = await s.request(
      'GET',
      `/v1/messages?limit=500&status=queued&cursor=${page.json.nextCursor}`,
      {
        token: s.creds.apiKey,
      },
    );
    expect(next.json.messages).toHaveLength(500);
    expect(next.json.nextCursor).toBeNull();
  });

  it.each([
    ['an invalid number', { to: '+12', text: 'x' }, 'to'],
    ['a number without +', { to: '447700900123', text: 'x' }, 'to'],
    ['empty text', { to: '+447700900123', text: '' }, 'text'],
    ['oversize text', { to: '+447700900123', text: 'x'.repeat(1601) }, 'text'],
    ['TTL too short', { to: '+447700900123', text: 'x', ttlS: 10 }, 'ttlS'],
    ['TTL too long', { to: '+447700900123', text: 'x', ttlS: 8 * 86_400 }, 'ttlS'],
    ['unknown device', { to: '+447700900123', text: 'x', deviceId: 'dev_nope' }, 'deviceId'],
    ['an unknown field', { to: '+447700900123', text: 'x', priority: 'high' }, 'priority'],
  ])('refuses %s and writes nothing', async (_name, body, field) => {
    const res = await s.request('POST', '/v1/messages', { token: s.creds.apiKey, body });
    expect(res.status).toBe(400);
    expect(res.json.error.field).toBe(field);
    expect((await s.request('GET', '/v1/messages', { token: s.creds.apiKey })).json.messages).toHaveLength(0);
  });

  it('does not let one workspace name another’s device or read its messages', async () => {
    const other = await s.createWorkspace('other');
    const theirDevice = await s.enrollDevice('theirs', other.apiKey);
    const res = await s.request('POST', '/v1/messages', {
      token: s.creds.apiKey,
      body: { to: '+447700900123', text: 'x', deviceId: theirDevice.deviceId },
    });
    expect(res.status).toBe(400);
    expect(res.json.error.code).toBe('device_not_found');
    const mine = await s.request('POST', '/v1/messages', {
      token: s.creds.apiKey,
      body: { to: '+447700900123', text: 'x' },
    });
    expect((await s.request('GET', `/v1/messages/${mine.json.id}`, { token: other.apiKey })).status).toBe(
      404,
    );
    expect((await s.request('GET', '/v1/messages', { token: other.apiKey })).json.messages).toHaveLength(0);
  });
});

describe('cancel', () => {
  it('cancels a queued message once and for all: no phone gets it, the history and webhooks say so', async () => {
    const webhook = await s.request('POST', '/v1/webhooks', {
      token: s.creds.apiKey,
      body: { url: 'https://hooks.example.com/lifeline', eventTypes: ['message.cancelled'] },
    });
    const [msg] = (await sendBatch([{ to: '+447700900321' }])).json.messages;
    const cancelled = await s.request('POST', `/v1/messages/${msg.id}/cancel`, { token: s.creds.apiKey });
    expect(cancelled.status).toBe(200);
    expect(cancelled.json).toMatchObject({ id: msg.id, status: 'cancelled' });
    expect(cancelled.json.events.map((e: { status: string }) => e.status)).toEqual(['queued', 'cancelled']);
    // Again: a no-op, the same answer.
    const again = await s.request('POST', `/v1/messages/${msg.id}/cancel`, { token: s.creds.apiKey });
    expect(again.status).toBe(200);
    expect(again.json.events).toHaveLength(2);
    // No phone is ever handed it.
    const phone = await TestDevice.enroll(s, 'after-cancel', ledger);
    await phone.heartbeat();
    expect(await phone.poll()).toEqual([]);
    // The subscribed webhook hears of it once.
    expect(webhook.status).toBe(201);
    expect(
      await s.deps.db.$count(webhookDeliveries, eq(webhookDeliveries.eventType, 'message.cancelled')),
    ).toBe(1);
  });

  it('refuses to cancel what a phone holds, what is unknown, and what another workspace owns', async () => {
    const phone = await TestDevice.enroll(s, 'holder', ledger);
    await phone.heartbeat();
    const [msg] = (await sendBatch([{ to: '+447700900322' }])).json.messages;
    expect(await phone.poll()).toHaveLength(1);
    const held = await s.request('POST', `/v1/messages/${msg.id}/cancel`, { token: s.creds.apiKey });
    expect(held.status).toBe(409);
    expect(held.json.error.code).toBe('not_cancellable');
    expect(held.json.error.message).toContain('leased');
    expect((await statusOf(msg.id)).status).toBe('leased');
    expect((await s.request('POST', '/v1/messages/msg_nope/cancel', { token: s.creds.apiKey })).status).toBe(
      404,
    );
    const other = await s.createWorkspace('cancel-other');
    expect((await s.request('POST', `/v1/messages/${msg.id}/cancel`, { token: other.apiKey })).status).toBe(
      404,
    );
    // A send-only key may cancel; a read-only key may not.
    const key = async (scope: string) =>
      (await s.request('POST', '/v1/api-keys', { token: s.creds.apiKey, body: { name: scope, scope } })).json
        .key;
    const [queued] = (await sendBatch([{ to: '+447700900323' }])).json.messages;
    expect(
      (await s.request('POST', `/v1/messages/${queued.id}/cancel`, { token: await key('read') })).status,
    ).toBe(403);
    expect(
      (await s.request('POST', `/v1/messages/${queued.id}/cancel`, { token: await key('send') })).status,
    ).toBe(200);
  });
});

describe('routing and delivery', () => {
  it('respects 70/30 weights within tolerance over 1,000 messages and delivers each exactly once', async () => {
    const primary = await TestDevice.enroll(s, 'primary', ledger, { weight: 70 });
    const backup = await TestDevice.enroll(s, 'backup', ledger, { weight: 30 });
    const res = await sendBatch(recipients(1000).map((to) => ({ to })));
    await runFleet([primary, backup]);
    const byDevice = new Map<string, number>();
    for (const [, devices] of ledger.sends) byDevice.set(devices[0]!, (byDevice.get(devices[0]!) ?? 0) + 1);
    expect(ledger.sends.size).toBe(1000);
    expect(ledger.duplicates()).toEqual([]);
    const share = byDevice.get(primary.deviceId)! / 1000;
    expect(Math.abs(share - 0.7)).toBeLessThan(0.05);
    const delivered = await s.request('GET', '/v1/messages?status=delivered&limit=500', {
      token: s.creds.apiKey,
    });
    expect(delivered.json.messages).toHaveLength(500);
    const sample = await statusOf(res.json.messages[0].id);
    expect(sample.events.map((e: { status: string }) => e.status)).toEqual([
      'queued',
      'leased',
      'submitted',
      'sent',
      'delivered',
    ]);
  });

  it('reroutes a killed device’s unconfirmed messages to the others, never twice', async () => {
    const a = await TestDevice.enroll(s, 'a', ledger);
    const b = await TestDevice.enroll(s, 'b', ledger);
    const c = await TestDevice.enroll(s, 'c', ledger);
    await sendBatch(recipients(300).map((to) => ({ to })));
    // c leases its share, confirms half of it, then dies (no more heartbeats, receipts or polls).
    const cLeased = await c.poll();
    expect(cLeased.length).toBeGreaterThan(0);
    const cSent = await c.submit(cLeased.slice(0, Math.floor(cLeased.length / 2)));
    // a and b keep working; c's unconfirmed leases come back once it is offline (5 intervals), or its lease lapses.
    await runFleet([a, b], 30);
    expect(ledger.duplicates()).toEqual([]);
    const unconfirmed = cLeased.slice(cSent.length);
    for (const m of unconfirmed) {
      expect(ledger.sends.get(m.id)).toHaveLength(1);
      expect(ledger.sends.get(m.id)![0]).not.toBe(c.deviceId);
      expect((await statusOf(m.id)).status).toBe('delivered');
    }
    // What c confirmed but never reported is never handed to anyone else: it ends as an honest unknown.
    s.clock.advance(11 * 60_000);
    await tick(s.deps, s.clock.now());
    for (const m of cSent) {
      expect(ledger.sends.get(m.id)).toEqual([c.deviceId]);
      const st = await statusOf(m.id);
      expect(st.status).toBe('delivery_unknown');
      expect(st.error.code).toBe('send_timeout');
    }
    expect(ledger.sends.size).toBe(300);
  });

  it('a late `submitted` for a lapsed lease is refused, so the first device never sends it', async () => {
    const slow = await TestDevice.enroll(s, 'slow', ledger, { weight: 100 });
    const other = await TestDevice.enroll(s, 'other', ledger, { weight: 0 });
    const msg = (
      await s.request('POST', '/v1/messages', {
        token: s.creds.apiKey,
        body: { to: '+447700900001', text: 'hi' },
      })
    ).json;
    const leased = await slow.poll();
    expect(leased.map((m) => m.id)).toEqual([msg.id]);
    s.clock.advance(76_000); // lease + grace
    await other.heartbeat();
    await slow.heartbeat();
    const report = await tick(s.deps, s.clock.now());
    expect(report.messages.requeued).toBe(1);
    expect(await slow.submit(leased)).toEqual([]);
    // back in the queue, it goes to the other device (the lapsed one is avoided)
    expect(await other.work()).toBe(1);
    expect(ledger.sends.get(msg.id)).toEqual([other.deviceId]);
  });

  it('retries a pre-transmission failure on another device after backoff, and never a generic failure', async () => {
    // A standby second phone (weight 0): the first always ranks first for a new message, whatever the
    // rendezvous hash of these random device ids (weights 100:1 still lost it about once in a hundred runs).
    const first = await TestDevice.enroll(s, 'first', ledger, { weight: 100 });
    const second = await TestDevice.enroll(s, 'second', ledger, { weight: 0 });
    const retryable = (
      await s.request('POST', '/v1/messages', {
        token: s.creds.apiKey,
        body: { to: '+447700900001', text: 'a' },
      })
    ).json;
    let leased = await first.poll();
    let sent = await first.submit(leased);
    const [r] = await first.report([
      {
        messageId: retryable.id,
        attempt: sent[0]!.attempt,
        status: 'failed',
        errorCode: 'RESULT_ERROR_NO_SERVICE',
      },
    ]);
    expect(r).toMatchObject({ outcome: 'applied', state: 'queued' });
    expect(await second.poll()).toEqual([]); // backoff
    s.clock.advance(20_000);
    await first.heartbeat();
    await second.heartbeat();
    expect(await first.poll()).toEqual([]); // avoided while another device can take it
    expect(await second.work()).toBe(1);
    const st = await statusOf(retryable.id);
    expect(st).toMatchObject({ status: 'delivered', retries: 1, attempt: 2 });

    const generic = (
      await s.request('POST', '/v1/messages', {
        token: s.creds.apiKey,
        body: { to: '+447700900002', text: 'b' },
      })
    ).json;
    leased = await first.poll();
    sent = await first.submit(leased);
    const [g] = await first.report([
      {
        messageId: generic.id,
        attempt: sent[0]!.attempt,
        status: 'failed',
        errorCode: 'RESULT_ERROR_GENERIC_FAILURE',
      },
    ]);
    expect(g).toMatchObject({ outcome: 'applied', state: 'failed' });
  });

  it('expires a message whose TTL passes before any device can take it', async () => {
    const msg = (
      await s.request('POST', '/v1/messages', {
        token: s.creds.apiKey,
        body: { to: '+447700900001', text: 'a', ttlS: 60 },
      })
    ).json;
    s.clock.advance(61_000);
    const report = await tick(s.deps, s.clock.now());
    expect(report.messages.expired).toBe(1);
    const st = await statusOf(msg.id);
    expect(st).toMatchObject({ status: 'expired', error: { code: 'ttl_expired', message: null } });
    const late = await TestDevice.enroll(s, 'late', ledger);
    expect(await late.poll()).toEqual([]);
  });

  it('never leases to a paused, offline or failing device, and counts segments against per-SIM limits', async () => {
    const limited = await TestDevice.enroll(s, 'limited', ledger, { perMinute: 5 });
    await sendBatch(recipients(10).map((to) => ({ to })));
    expect(await limited.poll()).toHaveLength(5);
    expect(await limited.poll()).toHaveLength(0);
    s.clock.advance(120_000);
    await limited.heartbeat();
    expect(await limited.poll()).toHaveLength(5);

    await sendBatch(recipients(3).map((to) => ({ to })));
    await limited.heartbeat({ driver: { name: 'smsgate', status: 'fail' } });
    expect(await limited.poll()).toEqual([]);
    await limited.heartbeat();
    await s.request('PATCH', `/v1/devices/${limited.deviceId}`, {
      token: s.creds.apiKey,
      body: { paused: true },
    });
    const paused = await s.request('GET', '/v1/devices/me/outbox?wait=0', { token: limited.token });
    expect(paused.status).toBe(403);
  });

  it('answers a long poll as soon as a message is queued', async () => {
    const d = await TestDevice.enroll(s, 'waiting', ledger);
    const started = Date.now();
    const poll = s.request('GET', '/v1/devices/me/outbox?wait=10', { token: d.token });
    await new Promise((r) => setTimeout(r, 200));
    await s.request('POST', '/v1/messages', {
      token: s.creds.apiKey,
      body: { to: '+447700900001', text: 'now' },
    });
    const res = await poll;
    expect(res.json.messages).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('holds a scheduled message until its time, then a waiting phone gets it; its TTL counts from then', async () => {
    const d = await TestDevice.enroll(s, 'scheduled', ledger);
    await d.heartbeat();
    const at = s.clock.now() + 10 * 60_000;
    const res = await s.request('POST', '/v1/messages', {
      token: s.creds.apiKey,
      body: { to: '+447700900555', text: 'Your appointment is at 3pm', sendAt: at, ttlS: 600 },
    });
    expect(res.status, JSON.stringify(res.json)).toBe(201);
    expect(res.json).toMatchObject({ status: 'queued', sendAt: at, expiresAt: at + 600_000 });
    expect(await d.poll(), 'not before its time').toEqual([]);
    s.clock.advance(9 * 60_000);
    await d.heartbeat();
    await tick(s.deps, s.clock.now());
    expect(await d.poll()).toEqual([]);

    // A phone waiting in a long poll when the time comes gets it at the poll's next look (every 2 s), not
    // at its timeout.
    s.clock.advance(60_000 - 1_000);
    await d.heartbeat();
    const started = Date.now();
    const waiting = s.request('GET', '/v1/devices/me/outbox?wait=10', { token: d.token });
    await new Promise((r) => setTimeout(r, 300));
    s.clock.advance(2_000);
    const woken = await waiting;
    expect(woken.json.messages.map((m: { id: string }) => m.id)).toEqual([res.json.id]);
    expect(Date.now() - started).toBeLessThan(5_000);

    // Scheduled and not yet due, a message can be cancelled.
    const later = await s.request('POST', '/v1/messages', {
      token: s.creds.apiKey,
      body: { to: '+447700900556', text: 'Later', sendAt: s.clock.now() + 86_400_000 },
    });
    const cancelled = await s.request('POST', `/v1/messages/${later.json.id}/cancel`, {
      token: s.creds.apiKey,
    });
    expect(cancelled.json.status).toBe('cancelled');
  });

  it('refuses a sendAt in the past or more than 30 days ahead, naming the field; a few seconds late is now', async () => {
    const now = s.clock.now();
    const one = await s.request('POST', '/v1/messages', {
      token: s.creds.apiKey,
      body: { to: '+447700900557', text: 'x', sendAt: now - 3_600_000 },
    });
    expect(one.status).toBe(400);
    expect(one.json.error.field).toBe('sendAt');
    const batch = await sendBatch([
      { to: '+447700900558' },
      { to: '+447700900559', sendAt: now + 31 * 86_400_000 } as never,
    ]);
    expect(batch.status).toBe(400);
    expect(batch.json.error.field).toBe('messages.1.sendAt');
    const seconds = await s.request('POST', '/v1/messages', {
      token: s.creds.apiKey,
      body: { to: '+447700900560', text: 'x', sendAt: now - 2_000 },
    });
    expect(seconds.status).toBe(201);
    expect(seconds.json.sendAt).toBeNull();
  });
});
