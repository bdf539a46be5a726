/**
 * SMS canary end to end at the API: a real server on 127.0.0.1 with a libSQL file, two phones played by
 * `TestDevice` (heartbeats, outbox, receipts) that report the canary they receive on `POST /v1/inbound`,
 * the tick driven by a manual clock. (`gateway-agent/test/canary.e2e.test.ts` runs the real agents.)
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { deliveryRollups, messages, smsCanaries, webhookDeliveries } from '@lifeline/db/schema';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canaryNonceOf, canaryText } from '../src/contract/inbound.ts';
import { tick } from '../src/tick.ts';
import { startTestServer, type TestServer } from './helpers.ts';
import { SendLedger, TestDevice } from './test-device.ts';

const S = 1_000;
const MIN = 60 * S;
const INTERVAL = 10 * MIN;
const TIMEOUT = 2 * MIN;
const B_NUMBER = '+447700900222';
const isCanary = (text: string) => canaryNonceOf(text) !== null;

describe('SMS canary end to end', () => {
  let s: TestServer;
  let key: string;
  let a: TestDevice;
  let b: TestDevice;
  let componentId: string;
  let probeId: string;
  let hooks: Server;
  const hookBodies: string[] = [];
  let senderPaused = false;
  /** A phone of another workspace. */
  let stranger: { deviceId: string; token: string };

  const req = (method: string, path: string, body?: unknown, token = key) =>
    s.request(method, path, { token, body });
  const component = async () =>
    (await req('GET', '/v1/components')).json.components.find((c: { id: string }) => c.id === componentId);
  const lastResult = async () => (await req('GET', `/v1/probes/${probeId}/results?limit=1`)).json.results[0];
  const inbound = (device: TestDevice, msgs: unknown[]) =>
    s.request('POST', '/v1/inbound', { token: device.token, body: { messages: msgs } });
  const received = (text: string) => ({ from: '+447700900111', text, receivedAt: s.clock.now(), simSlot: 0 });

  /** Time passes with both phones heartbeating (they stay online while they cannot send). */
  async function step(ms: number) {
    for (let left = ms; left > 0; left -= 30 * S) {
      s.clock.advance(Math.min(30 * S, left));
      if (!senderPaused) await a.heartbeat(); // a paused phone's heartbeats are refused
      await b.heartbeat();
    }
    return tick(s.deps, s.clock.now());
  }

  /** The sending phone's round: it takes the canary and reports as told; returns the canary's text. */
  async function send(outcome: 'delivered' | 'failed' | 'none') {
    const all = await a.poll();
    // Customers' messages routed to this phone go out as usual.
    await a.complete(await a.submit(all.filter((x) => !isCanary(x.text))));
    const leased = all.filter((x) => isCanary(x.text));
    expect(leased).toHaveLength(1);
    const [m] = leased;
    if (outcome === 'failed') {
      await a.report([{ messageId: m!.id, attempt: m!.attempt, status: 'submitted' }]);
      await a.report([
        {
          messageId: m!.id,
          attempt: m!.attempt,
          status: 'failed',
          errorCode: 'RESULT_ERROR_GENERIC_FAILURE',
        },
      ]);
    } else if (outcome === 'delivered') await a.complete(await a.submit(leased));
    return m!;
  }

  beforeAll(async () => {
    hooks = createServer((r, res) => {
      let body = '';
      r.on('data', (c) => {
        body += c;
      });
      r.on('end', () => {
        hookBodies.push(body);
        res.end();
      });
    });
    await new Promise<void>((r) => hooks.listen(0, '127.0.0.1', r));
    s = await startTestServer();
    key = s.creds.apiKey;
    const ledger = new SendLedger();
    a = await TestDevice.enroll(s, 'Sender', ledger);
    b = await TestDevice.enroll(s, 'Receiver', ledger);
    const c = await req('POST', '/v1/components', { name: 'SMS path', layer: 'devices' });
    expect(c.status, JSON.stringify(c.json)).toBe(201);
    componentId = c.json.id;
    const hook = await req('POST', '/v1/webhooks', {
      url: `http://127.0.0.1:${(hooks.address() as AddressInfo).port}/hook`,
    });
    expect(hook.status, JSON.stringify(hook.json)).toBe(201);
  });

  afterAll(async () => {
    await s?.close();
    hooks?.closeAllConnections();
    await new Promise<void>((r) => (hooks ? hooks.close(() => r()) : r()));
  });

  it('validates canary probes and names the field', async () => {
    const config = { fromDeviceId: a.deviceId, toDeviceId: b.deviceId, toNumber: B_NUMBER };
    const bad = [
      [{ config: { ...config, toNumber: '07700 900222' } }, 'config.toNumber'],
      [{ config: { ...config, fromDeviceId: 'dev_nope' } }, 'config.fromDeviceId'],
      [{ config: { fromDeviceId: a.deviceId, toNumber: B_NUMBER } }, 'config.toDeviceId'],
      [{ config: { ...config, fromSimSlot: 9 } }, 'config.fromSimSlot'],
      [{ config, retries: 2 }, 'retries'],
      [{ config, intervalMs: 30 * S }, 'intervalMs'],
      [{ config, intervalMs: MIN, timeoutMs: 2 * MIN }, 'timeoutMs'],
    ] as const;
    for (const [body, field] of bad) {
      const res = await req('POST', '/v1/probes', { kind: 'sms_canary', name: 'Canary', ...body });
      expect(res.status, JSON.stringify(res.json)).toBe(400);
      expect(res.json.error.field, JSON.stringify(res.json)).toBe(field);
    }
    const other = await s.createWorkspace('other-canary');
    stranger = await s.enrollDevice('Stranger', other.apiKey);
    const res = await req('POST', '/v1/probes', {
      kind: 'sms_canary',
      name: 'Canary',
      config: { ...config, toDeviceId: stranger.deviceId },
    });
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({ code: 'device_not_found', field: 'config.toDeviceId' });
    const openapi = await s.request('GET', '/openapi.json');
    expect(Object.keys(openapi.json.paths)).toContain('/v1/inbound');
    expect(JSON.stringify(openapi.json.components.schemas.NewProbe)).toContain('sms_canary');
  });

  it('up with stage latencies; hidden from customers; the phone that cannot send turns it down; recovery', async () => {
    const created = await req('POST', '/v1/probes', {
      kind: 'sms_canary',
      name: 'Canary: Sender -> Receiver',
      componentId,
      config: { fromDeviceId: a.deviceId, toDeviceId: b.deviceId, toNumber: B_NUMBER },
      intervalMs: INTERVAL,
      timeoutMs: TIMEOUT,
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    expect(created.json).toMatchObject({
      kind: 'sms_canary',
      retries: 0,
      intervalMs: INTERVAL,
      timeoutMs: TIMEOUT,
    });
    probeId = created.json.id;
    const customer = await req('POST', '/v1/messages', { to: '+447700900333', text: 'Your order shipped' });
    expect(customer.status).toBe(201);

    // The first run queues a canary pinned to the sender; nothing to judge yet.
    const first = await step(S);
    expect(first.probes).toMatchObject({ claimed: 1, byStatus: { unknown: 1 } });
    expect(await lastResult()).toMatchObject({
      status: 'unknown',
      detail: expect.stringContaining('first canary'),
    });
    // Pinned: the receiver is never handed the canary (it sends the customer's message if it got it).
    const atB = await b.poll();
    expect(atB.filter((x) => isCanary(x.text))).toEqual([]);
    await b.complete(await b.submit(atB));
    s.clock.advance(2 * S);
    const m = await send('delivered');
    expect(m.to).toBe(B_NUMBER);
    expect(m.text).toMatch(/^Lifeline canary [0-9A-Z]{16}: /);
    s.clock.advance(3 * S);
    // Only the receiving phone may report it: not another workspace's phone, nor the sender.
    const foreign = await s.request('POST', '/v1/inbound', {
      token: stranger.token,
      body: { messages: [received(m.text)] },
    });
    expect(foreign.json.results[0].outcome).toBe('ignored');
    expect((await inbound(a, [received(m.text)])).json.results[0].outcome).toBe('ignored');
    expect((await inbound(b, [received(m.text)])).json.results).toEqual([
      { nonce: m.text.slice(16, 32), outcome: 'recorded' },
    ]);
    // Idempotent; a nonce nobody sent is ignored.
    expect((await inbound(b, [received(m.text)])).json.results[0].outcome).toBe('duplicate');
    expect((await inbound(b, [received(canaryText('0123456789ABCDEF'))])).json.results[0].outcome).toBe(
      'ignored',
    );

    // Customers never see the canary: not in their list, not by id, not in webhooks or delivery counts.
    const list = (await req('GET', '/v1/messages')).json.messages.map((x: { id: string }) => x.id);
    expect(list).toEqual([customer.json.id]);
    expect((await req('GET', `/v1/messages/${m.id}`)).status).toBe(404);

    // The next run judges it: up, each stage's latency since it was queued; and queues the next one.
    const up = await step(INTERVAL);
    expect(up.probes).toMatchObject({ completed: 1, byStatus: { up: 1 } });
    const result = await lastResult();
    expect(result).toMatchObject({ status: 'up', componentStatus: 'operational', latencyMs: 5 * S });
    expect(result.data).toMatchObject({
      messageId: m.id,
      fromDeviceId: a.deviceId,
      toDeviceId: b.deviceId,
      messageStatus: 'delivered',
      latenciesMs: { submitted: 2 * S, sent: 2 * S, delivered: 2 * S, received: 5 * S },
      failedStage: null,
    });
    expect(await component()).toMatchObject({ status: 'operational', signal: { kind: 'probe' } });
    const payloads = (await s.deps.db.select().from(webhookDeliveries)).map((w) => JSON.stringify(w.payload));
    expect(payloads.some((p) => p.includes(customer.json.id))).toBe(true);
    expect(payloads.some((p) => p.includes(m.id))).toBe(false);
    // Only the customer's message counts in the delivery figures (each granularity once).
    const counted = await s.deps.db.select().from(deliveryRollups);
    const delivered = (scope: string) =>
      counted
        .filter((r) => r.scopeKey === scope && r.granularity === 'day')
        .reduce((n, r) => n + r.delivered, 0);
    expect(delivered(`ws:${s.creds.workspaceId}`)).toBe(1);
    expect(delivered(`dev:${a.deviceId}`) + delivered(`dev:${b.deviceId}`)).toBe(1);

    // The sender loses its credit: it still heartbeats, but the SMS fails. Never retried; probe down.
    const m2 = await send('failed');
    const down = await step(INTERVAL);
    expect(down.probes).toMatchObject({ completed: 1, byStatus: { down: 1 } });
    expect(await lastResult()).toMatchObject({
      status: 'down',
      componentStatus: 'major_outage',
      detail: expect.stringContaining('the sending phone could not send it (RESULT_ERROR_GENERIC_FAILURE)'),
      data: { failedStage: 'sent', messageStatus: 'failed' },
    });
    const [row] = await s.deps.db.select().from(messages).where(eq(messages.id, m2.id));
    expect(row).toMatchObject({ status: 'failed', purpose: 'canary', retries: 0 });
    expect((await req('GET', `/v1/devices/${a.deviceId}`)).json.liveness).toBe('online');
    expect(await component()).toMatchObject({ status: 'major_outage' });
    const alerts = (await req('GET', '/v1/alerts')).json.alerts.filter(
      (x: { subject: { type: string; id: string } }) =>
        x.subject.type === 'probe' && x.subject.id === probeId,
    );
    expect(alerts).toHaveLength(1);
    expect(alerts[0].state).toBe('firing');
    // The admins are paged, but a canary is an internal test of a phone: the public rule opens no incident.
    expect(alerts[0].incidentId ?? null).toBeNull();
    expect((await req('GET', '/v1/incidents')).json.incidents).toEqual([]);

    // Sent and delivered, but the receiving phone never sees it (say, the configured number is wrong).
    await send('delivered');
    await step(INTERVAL);
    expect(await lastResult()).toMatchObject({
      status: 'down',
      data: { failedStage: 'received', messageStatus: 'delivered' },
    });

    // Credit topped up: received again, the probe and its component recover and the alert resolves.
    const m4 = await send('delivered');
    await inbound(b, [received(m4.text)]);
    await step(INTERVAL);
    expect(await lastResult()).toMatchObject({ status: 'up' });
    expect(await component()).toMatchObject({ status: 'operational' });
    const after = (await req('GET', '/v1/alerts')).json.alerts.find(
      (x: { id: string }) => x.id === alerts[0].id,
    );
    expect(after.state).toBe('resolved');
  });

  it('a paused sender gets no canary; the one in flight is still judged', async () => {
    await send('none'); // leased, never handed to Android
    const paused = await req('PATCH', `/v1/devices/${a.deviceId}`, { paused: true });
    expect(paused.status, JSON.stringify(paused.json)).toBe(200);
    senderPaused = true;
    await step(INTERVAL);
    const r = await lastResult();
    expect(r.status).toBe('down');
    expect(r.detail).toContain('no new canary: the sending phone');
    expect(r.detail).toContain('is paused');
    await step(INTERVAL);
    expect(await lastResult()).toMatchObject({
      status: 'unknown',
      detail: expect.stringContaining('no canary sent'),
    });
    await req('PATCH', `/v1/devices/${a.deviceId}`, { paused: false });
    senderPaused = false;
  });

  it('deleting the probe deletes its canaries and their messages', async () => {
    const canaryMessages = () => s.deps.db.select().from(messages).where(eq(messages.purpose, 'canary'));
    expect((await canaryMessages()).length).toBeGreaterThan(0);
    expect((await req('DELETE', `/v1/probes/${probeId}`)).status).toBe(200);
    expect(await canaryMessages()).toEqual([]);
    expect(await s.deps.db.select().from(smsCanaries)).toEqual([]);
  });

  it('refuses bad input on /v1/inbound with a JSON error naming the field', async () => {
    const cases = [
      [{ messages: [{ from: '+447700900111', receivedAt: 1 }] }, 'messages.0.text'],
      [
        { messages: [{ from: '+447700900111', text: 'Your code is 1234', receivedAt: 1 }] },
        'messages.0.text',
      ],
      [
        { messages: [{ ...received(canaryText('0123456789ABCDEF')), receivedAt: 'now' }] },
        'messages.0.receivedAt',
      ],
      [{ messages: [] }, 'messages'],
      [{ messages: [received(canaryText('0123456789ABCDEF'))], extra: 1 }, 'extra'],
    ] as const;
    for (const [body, field] of cases) {
      const res = await s.request('POST', '/v1/inbound', { token: b.token, body });
      expect(res.status, JSON.stringify(res.json)).toBe(400);
      expect(res.json.error.field, JSON.stringify(res.json)).toBe(field);
    }
    const anonymous = await s.request('POST', '/v1/inbound', { body: { messages: [] } });
    expect(anonymous.status).toBe(401);
    expect(anonymous.json.error.code).toBeTruthy();
  });
});
