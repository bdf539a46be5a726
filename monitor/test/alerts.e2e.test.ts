import { newId } from '@lifeline/db';
import { maintenances } from '@lifeline/db/schema';
import { eq } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FakePushService } from '../../alerts/test/fakes/push-service.ts';
import { FakeResend } from '../../alerts/test/fakes/resend-api.ts';
import { tick } from '../src/tick.ts';
import { heartbeat, startTestServer, type TestServer } from './helpers.ts';
import { WebhookReceiver } from './webhook-receiver.ts';

const S = 1_000;
const INTERVAL = 30 * S;
/** Offline after 5 missed intervals. */
const GRACE = 5 * INTERVAL;

/** What the page hands over from `PushManager.subscribe()`. */
const pushSubscription = (b: { endpoint: string; keys: { p256dh: string; auth: string } }) => ({
  endpoint: b.endpoint,
  expirationTime: null,
  keys: b.keys,
});

describe('alerts end to end', () => {
  const push = new FakePushService();
  const resend = new FakeResend();
  const hook = new WebhookReceiver('/alerts');
  let s: TestServer;
  let key: string;
  const phones: { id: string; token: string; seq: number; name: string }[] = [];

  async function beat(p: (typeof phones)[number], overrides: Parameters<typeof heartbeat>[0] = {}) {
    const res = await s.request('POST', '/v1/heartbeats', {
      token: p.token,
      body: heartbeat({ runId: `run-${p.id}`, seq: p.seq++, ...overrides }),
    });
    expect(res.status).toBe(202);
  }
  /** Advances the clock by `ms` in tick-sized steps, heartbeating the `alive` phones every interval. */
  async function run(ms: number, alive: (typeof phones)[number][] = []) {
    const end = s.clock.now() + ms;
    while (s.clock.now() < end) {
      const step = Math.min(5 * S, end - s.clock.now());
      s.clock.advance(step);
      if (s.clock.now() % INTERVAL < step) for (const p of alive) await beat(p);
      await tick(s.deps, s.clock.now());
    }
  }
  async function subscribe(body: Record<string, unknown>) {
    const res = await s.request('POST', '/v1/alert-subscriptions', { token: key, body });
    expect(res.status, JSON.stringify(res.json)).toBe(201);
    return res.json;
  }

  beforeAll(async () => {
    await Promise.all([push.start(), resend.start(), hook.start()]);
    s = await startTestServer({
      alerts: {
        resendApiKey: resend.apiKey,
        resendBaseUrl: resend.url,
        emailFrom: 'Lifeline <alerts@example.com>',
      },
    });
    key = s.creds.apiKey;
    for (const name of ['Shop phone 1', 'Shop phone 2', 'Shop phone 3']) {
      const { deviceId, token } = await s.enrollDevice(name);
      phones.push({ id: deviceId, token, seq: 0, name });
    }
  });
  afterAll(async () => {
    await s.close();
    await Promise.all([push.stop(), resend.stop(), hook.stop()]);
  });
  beforeEach(async () => {
    // Everyone healthy and online again, nothing firing.
    await run(2 * INTERVAL, phones);
  });

  it('starts every workspace with the default rules and serves the VAPID key', async () => {
    const rules = await s.request('GET', '/v1/alert-rules', { token: key });
    expect(rules.json.rules.map((r: { kind: string }) => r.kind).sort()).toEqual([
      'carrier_delivery_drop',
      'device_degraded',
      'device_offline',
      'fleet_offline',
      'probe_down',
      'queue_backlog',
      'slo_burn',
    ]);
    const pk = await s.request('GET', '/v1/alert-subscriptions/push-key', { token: key });
    expect(pk.json.publicKey).toMatch(/^[A-Za-z0-9_-]{87}$/);
  });

  it('pages a dead phone by push within grace + 10 s, groups simultaneous ones, and sends one recovery', async () => {
    const browser = push.subscribe();
    const sub = await subscribe({
      channel: 'web_push',
      subscription: pushSubscription(browser),
      label: 'ops laptop',
    });
    const [p1, p2, p3] = phones as [
      (typeof phones)[number],
      (typeof phones)[number],
      (typeof phones)[number],
    ];
    const lastBeat = s.clock.now();
    await beat(p1);
    await beat(p2);
    const before = push.received.length;
    // p1 and p2 go silent together; p3 keeps reporting.
    let deliveredAt: number | null = null;
    for (let t = 0; t < GRACE + 20 * S && deliveredAt === null; t += 5 * S) {
      await run(5 * S, [p3]);
      if (push.received.length > before) deliveredAt = s.clock.now();
    }
    expect(deliveredAt).not.toBeNull();
    expect(deliveredAt! - lastBeat).toBeLessThanOrEqual(GRACE + 10 * S);
    // Two of three phones down also fires the fleet rule: a message of its own (another rule, another group).
    const deviceOffline = (p: { payload: unknown }) =>
      (p.payload as { title: string }).title.startsWith('Device offline');
    const page = push.received.slice(before).filter(deviceOffline);
    expect(page).toHaveLength(1); // one message for both phones
    expect(page[0]!.payload).toMatchObject({ title: 'Device offline: 2 firing' });
    expect((page[0]!.payload as { body: string }).body).toContain('Shop phone 1: firing');
    expect(page[0]!.urgency).toBe('high');

    const firing = await s.request('GET', '/v1/alerts?state=firing', { token: key });
    expect(firing.json.alerts.map((a: { subject: { name: string } }) => a.subject.name).sort()).toEqual([
      'Device connectivity', // the fleet rule: 2 of 3 phones offline
      'Shop phone 1',
      'Shop phone 2',
    ]);
    expect(firing.json.alerts[0].timeline.map((e: { kind: string }) => e.kind)).toEqual(['fire']);
    // Each alert of the same tick (same start) has its own timeline when read alone.
    for (const a of firing.json.alerts as { id: string }[]) {
      const one = await s.request('GET', `/v1/alerts/${a.id}`, { token: key });
      expect(
        one.json.timeline.map((e: { kind: string }) => e.kind),
        a.id,
      ).toEqual(['fire']);
    }

    // They come back: two on-time heartbeats each, then one grouped recovery.
    await run(3 * INTERVAL, phones);
    const recovery = push.received.slice(before).filter(deviceOffline).slice(1);
    expect(recovery).toHaveLength(1);
    expect(recovery[0]!.payload).toMatchObject({ title: 'Device offline: 2 resolved' });
    const resolved = await s.request('GET', '/v1/alerts?state=resolved', { token: key });
    expect(resolved.json.alerts[0].timeline.map((e: { kind: string }) => e.kind)).toEqual([
      'fire',
      'resolve',
    ]);

    const notes = await s.request('GET', `/v1/notifications?limit=10`, { token: key });
    const mine = notes.json.notifications.filter(
      (n: { subscriptionId: string }) => n.subscriptionId === sub.id,
    );
    // Fired and resolved for both phones and for the fleet rule: six notifications, all delivered.
    expect(mine.map((n: { status: string }) => n.status)).toEqual(Array(6).fill('delivered'));
    expect(mine[0].attemptLog).toHaveLength(1);
    await s.request('DELETE', `/v1/alert-subscriptions/${sub.id}`, { token: key });
  });

  it('emails only for extended downtime, and not at all when the phone is back before the delay', async () => {
    const sub = await subscribe({ channel: 'email', email: 'owner@example.com', delayMs: 10 * 60 * S });
    const [p1] = phones as [(typeof phones)[number]];
    const others = phones.slice(1);
    // A short outage: offline, back after 2 minutes.
    await run(GRACE + 2 * 60 * S, others);
    await run(15 * 60 * S, phones);
    expect(resend.sent.filter((e) => e.to.includes('owner@example.com'))).toHaveLength(0);
    // A long one: the email goes out once, about 10 minutes after the alert fired.
    await run(GRACE + 12 * 60 * S, others);
    const emails = resend.sent.filter((e) => e.to.includes('owner@example.com'));
    expect(emails).toHaveLength(1);
    expect(emails[0]).toMatchObject({ subject: `Device offline: ${p1.name} (firing)` });
    expect(emails[0]!.idempotencyKey).toMatch(/^nmsg_/);
    await s.request('DELETE', `/v1/alert-subscriptions/${sub.id}`, { token: key });
    await run(3 * INTERVAL, phones);
  });

  it('reminds while an alert fires until someone acknowledges it, and still tells its recovery', async () => {
    const rules = (await s.request('GET', '/v1/alert-rules', { token: key })).json.rules;
    const offline = rules.find((r: { kind: string }) => r.kind === 'device_offline');
    const patch = (repeatIntervalMs: number) =>
      s.request('PATCH', `/v1/alert-rules/${offline.id}`, { token: key, body: { repeatIntervalMs } });
    expect((await patch(2 * 60 * S)).status).toBe(200);
    const sub = await subscribe({ channel: 'web_push', subscription: pushSubscription(push.subscribe()) });
    const [p1] = phones as [(typeof phones)[number]];
    const others = phones.slice(1);
    await run(GRACE + 20 * S, others);
    const firing = (await s.request('GET', '/v1/alerts?state=firing', { token: key })).json.alerts.find(
      (a: { subject: { name: string } }) => a.subject.name === p1.name,
    );
    expect(firing.acknowledged).toBeNull();
    const kinds = async () =>
      (await s.request('GET', '/v1/notifications?limit=200', { token: key })).json.notifications
        .filter(
          (n: { alertId: string; subscriptionId: string }) =>
            n.alertId === firing.id && n.subscriptionId === sub.id,
        )
        .map((n: { kind: string }) => n.kind)
        .sort();
    await run(5 * 60 * S, others);
    const before = await kinds();
    expect(before.filter((k: string) => k === 'remind').length).toBeGreaterThanOrEqual(2);

    const ack = await s.request('POST', `/v1/alerts/${firing.id}/acknowledge`, { token: key });
    expect(ack.status).toBe(200);
    expect(ack.json.acknowledged).toEqual({ at: s.clock.now(), by: expect.stringMatching(/\(ll_admin_/) });
    expect(ack.json.timeline.map((e: { kind: string }) => e.kind)).toContain('acknowledge');
    // Again: the first acknowledgement stands.
    expect(
      (await s.request('POST', `/v1/alerts/${firing.id}/acknowledge`, { token: key })).json.acknowledged,
    ).toEqual(ack.json.acknowledged);
    await run(10 * 60 * S, others);
    expect(await kinds()).toEqual(before); // no reminder since
    await run(3 * INTERVAL, phones);
    expect(await kinds()).toEqual([...before, 'resolve'].sort());
    const late = await s.request('POST', `/v1/alerts/${firing.id}/acknowledge`, { token: key });
    expect(late.status).toBe(409);
    expect(late.json.error.code).toBe('alert_resolved');
    expect((await s.request('POST', '/v1/alerts/alr_nope/acknowledge', { token: key })).status).toBe(404);
    await patch(4 * 60 * 60 * S);
    await s.request('DELETE', `/v1/alert-subscriptions/${sub.id}`, { token: key });
  });

  it('keeps retrying a push service that is down, delivers once when it is back, and removes a 410 subscription', async () => {
    const browser = push.subscribe();
    const sub = await subscribe({ channel: 'web_push', subscription: pushSubscription(browser) });
    const email = await subscribe({ channel: 'email', email: 'oncall@example.com' });
    const [p1] = phones as [(typeof phones)[number]];
    push.setStatus(browser.id, 503);
    await run(GRACE + 30 * S, phones.slice(1));
    const delivered = () => push.received.filter((r) => r.subscriptionId === browser.id);
    expect(delivered()).toHaveLength(0);
    // The push service being down holds back nothing else: the email went out.
    expect(resend.sent.filter((e) => e.to.includes('oncall@example.com'))).toHaveLength(1);
    await s.request('DELETE', `/v1/alert-subscriptions/${email.id}`, { token: key });
    expect(push.rejected.filter((r) => r.subscriptionId === browser.id).length).toBeGreaterThanOrEqual(2);
    push.setStatus(browser.id, 201);
    await run(2 * 60 * S, phones.slice(1));
    expect(delivered()).toHaveLength(1);
    expect(delivered()[0]!.payload).toMatchObject({ title: `Device offline: ${p1.name} (firing)` });

    // The browser unsubscribes: the next message gets 410 and the subscription is removed.
    push.setStatus(browser.id, 410);
    await run(3 * INTERVAL, phones);
    const subs = await s.request('GET', '/v1/alert-subscriptions', { token: key });
    expect(subs.json.subscriptions.map((x: { id: string }) => x.id)).not.toContain(sub.id);
  });

  it('dead-letters a notification its channel never took before the deadline, keeping the last error', async () => {
    const browser = push.subscribe();
    const sub = await subscribe({ channel: 'web_push', subscription: pushSubscription(browser) });
    push.setStatus(browser.id, 503);
    await run(GRACE + 30 * S, phones.slice(1));
    const mine = async () =>
      (await s.request('GET', '/v1/notifications?limit=50', { token: key })).json.notifications.filter(
        (n: { subscriptionId: string }) => n.subscriptionId === sub.id,
      );
    const [first] = await mine();
    expect(first).toMatchObject({ kind: 'fire', status: 'pending', lastStatusCode: 503 });
    // A day later the push service is still down: the notification is dead, with what it last heard.
    s.clock.advance(24 * 3_600_000 + 60 * S);
    await tick(s.deps, s.clock.now());
    const dead = (await mine()).find((n: { id: string }) => n.id === first.id);
    expect(dead).toMatchObject({ status: 'dead', lastStatusCode: 503 });
    expect(dead.lastError).toMatch(/HTTP 503/);
    expect(dead.attemptLog.length).toBeGreaterThanOrEqual(2);
    push.setStatus(browser.id, 201);
    await s.request('DELETE', `/v1/alert-subscriptions/${sub.id}`, { token: key });
    await run(3 * INTERVAL, phones);
  });

  it('records but does not send alerts under a silence or a maintenance window', async () => {
    const receiverSub = await subscribe({ channel: 'webhook', url: hook.url });
    expect(receiverSub.secret).toMatch(/^whsec_/);
    const [p1, p2] = phones as [(typeof phones)[number], (typeof phones)[number]];
    const silence = await s.request('POST', '/v1/silences', {
      token: key,
      body: { deviceId: p1.id, endsAt: s.clock.now() + 3_600_000, comment: 'moving the phone' },
    });
    expect(silence.status).toBe(201);
    const sent = hook.got.length;
    await run(GRACE + 30 * S, phones.slice(1));
    expect(hook.got.length).toBe(sent);
    const firing = await s.request('GET', '/v1/alerts?state=firing', { token: key });
    expect(firing.json.alerts.map((a: { subject: { id: string } }) => a.subject.id)).toContain(p1.id);
    const notes = await s.request('GET', '/v1/notifications?status=suppressed', { token: key });
    expect(notes.json.notifications[0]).toMatchObject({
      status: 'suppressed',
      reason: `silence ${silence.json.id}`,
    });
    await run(3 * INTERVAL, phones);

    // p2 goes down without a silence: the webhook hears it, signed.
    await run(GRACE + 30 * S, [p1, phones[2]!]);
    const event = hook.got.at(-1)!;
    // Signed per Standard Webhooks; the test clock is in the past, so check the signature as
    // \`verify\` does but without its 5-minute freshness window.
    const stamp = new Date(Number(event.headers['webhook-timestamp']) * 1000);
    expect(event.headers['webhook-signature']).toBe(
      new Webhook(receiverSub.secret).sign(event.headers['webhook-id']!, stamp, event.body),
    );
    expect(JSON.parse(event.body)).toMatchObject({
      type: 'alert.notification',
      data: { title: `Device offline: ${p2.name} (firing)` },
    });
    await run(3 * INTERVAL, phones);

    // A maintenance window for the whole workspace: p2 going down again is recorded, not sent.
    const window = newId('mnt');
    await s.deps.db.insert(maintenances).values({
      id: window,
      workspaceId: s.creds.workspaceId,
      title: 'Rewiring the shop',
      startsAt: s.clock.now(),
      endsAt: s.clock.now() + 3_600_000,
      componentIds: null,
      createdAt: s.clock.now(),
    });
    const beforeMaintenance = hook.got.length;
    await run(GRACE + 30 * S, [p1, phones[2]!]);
    expect(hook.got.length).toBe(beforeMaintenance);
    const held = await s.request('GET', '/v1/notifications?status=suppressed', { token: key });
    expect(held.json.notifications[0]).toMatchObject({ reason: `maintenance ${window}` });
    await s.deps.db.delete(maintenances).where(eq(maintenances.id, window));
    await run(3 * INTERVAL, phones);
    await s.request('DELETE', `/v1/alert-subscriptions/${receiverSub.id}`, { token: key });
  });

  it('fires the degraded rule from what the phone reports, after its wait', async () => {
    const [p1] = phones as [(typeof phones)[number]];
    const others = phones.slice(1);
    for (let i = 0; i < 14; i++) {
      await beat(p1, { battery: { percent: 12, charging: false, temperatureC: 30 } });
      await run(INTERVAL, others);
    }
    const firing = await s.request('GET', '/v1/alerts?state=firing', { token: key });
    const degraded = firing.json.alerts.find((a: { summary: string }) =>
      a.summary.startsWith('Device degraded'),
    );
    expect(degraded?.summary).toBe('Device degraded: battery 12 % and not charging');
    expect(degraded.timeline.map((e: { kind: string }) => e.kind)).toEqual(['pending', 'fire']);
  });

  it('post-mortem: a queue going from 85 to 100 in 3 minutes against a 95 rule fires on ingest before it gets there', async () => {
    const rules = await s.request('GET', '/v1/alert-rules', { token: key });
    const backlog = rules.json.rules.find((r: { kind: string }) => r.kind === 'queue_backlog');
    const set = await s.request('PATCH', `/v1/alert-rules/${backlog.id}`, {
      token: key,
      body: { params: { depth: 95, horizonMs: 60_000, trendWindowMs: 300_000 } },
    });
    expect(set.status).toBe(200);
    const [p1] = phones as [(typeof phones)[number]];
    const firingBacklog = async () => {
      const res = await s.request('GET', '/v1/alerts?state=firing', { token: key });
      return res.json.alerts.find((a: { summary: string }) => a.summary.startsWith('Queue backlog'));
    };
    let firedAtDepth: number | null = null;
    // One heartbeat every 15 s, no tick in between: only evaluation on ingest can fire it.
    for (let t = 0; t <= 180 && firedAtDepth === null; t += 15) {
      const depth = Math.round(85 + (15 * t) / 180);
      await beat(p1, { queue: { depth, oldestPendingAgeS: t } });
      const deadline = Date.now() + 2_500;
      while (Date.now() < deadline) {
        if (await firingBacklog()) {
          firedAtDepth = depth;
          break;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
      s.clock.advance(15 * S);
    }
    expect(firedAtDepth).not.toBeNull();
    expect(firedAtDepth!).toBeLessThan(95);
    expect((await firingBacklog()).summary).toMatch(
      /^Queue backlog: queue at \d+, rising to \d+ within 1 min \(threshold 95\)$/,
    );
    await run(3 * INTERVAL, phones);
  });

  it('opens a public incident when many phones are offline, says so, and resolves it when they are back', async () => {
    const rules = await s.request('GET', '/v1/alert-rules', { token: key });
    const fleet = rules.json.rules.find((r: { kind: string }) => r.kind === 'fleet_offline');
    expect(fleet).toMatchObject({ public: true, params: { minShare: 0.2, minDevices: 2 } });
    // Two of three phones go silent.
    await run(GRACE + 30 * S, [phones[2]!]);
    const summary = await s.request('GET', '/api/v2/summary.json');
    const incident = summary.json.incidents.find((i: { name: string }) =>
      i.name.startsWith('Many devices offline'),
    );
    expect(incident).toMatchObject({
      name: 'Many devices offline: Device connectivity',
      impact: 'major',
      status: 'investigating',
    });
    expect(incident.incident_updates[0].body).toMatch(
      /^Opened automatically by Lifeline's monitoring\. Many devices offline: 2 of 3 phones offline\./,
    );
    // They come back: the incident resolves by itself, with an update saying so.
    await run(3 * INTERVAL, phones);
    await new Promise((r) => setTimeout(r, 10)); // the public summary is cached for 5 s of server time
    s.clock.advance(6 * S);
    const after = await s.request('GET', '/api/v2/incidents.json');
    const resolved = after.json.incidents.find((i: { id: string }) => i.id === incident.id);
    expect(resolved.status).toBe('resolved');
    expect(resolved.incident_updates[0].body).toMatch(/^Resolved automatically/);
    // A private rule opens none: device_offline alerts fired for the two phones, and only one incident exists.
    expect(after.json.incidents.filter((i: { name: string }) => i.name.startsWith('Device offline'))).toEqual(
      [],
    );
  });

  it('refuses bad input naming the field, and keeps alerts to their workspace', async () => {
    const bad = await s.request('POST', '/v1/alert-subscriptions', {
      token: key,
      body: { channel: 'email', email: 'nope' },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error.field).toBe('email');
    const rules = await s.request('GET', '/v1/alert-rules', { token: key });
    const backlog = rules.json.rules.find((r: { kind: string }) => r.kind === 'queue_backlog');
    const patch = await s.request('PATCH', `/v1/alert-rules/${backlog.id}`, {
      token: key,
      body: { params: { depth: -5, horizonMs: 60_000, trendWindowMs: 300_000 } },
    });
    expect(patch.status).toBe(400);
    expect(patch.json.error.field).toBe('params.depth');
    const silence = await s.request('POST', '/v1/silences', { token: key, body: { endsAt: 1 } });
    expect(silence.json.error.field).toBe('endsAt');
    const other = await s.createWorkspace('other');
    const theirs = await s.request('GET', '/v1/alerts', { token: other.apiKey });
    expect(theirs.json.alerts).toEqual([]);
    const peek = await s.request('PATCH', `/v1/alert-rules/${backlog.id}`, {
      token: other.apiKey,
      body: { enabled: false },
    });
    expect(peek.status).toBe(404);
  });
});
