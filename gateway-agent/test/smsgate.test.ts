import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type DriverEvent, SendError, type SendRequest } from '../src/drivers/driver.ts';
import { createSmsGateDriver } from '../src/drivers/smsgate.ts';
import { FakeSmsGate } from './fakes/smsgate-fake.ts';

const SHELLISH = `Your code is 1234; $(rm -rf /) "quoted" 'single' \`tick\` & ünïcødé 🚀`;

function request(overrides: Partial<SendRequest> = {}): SendRequest {
  return {
    id: `msg_${Math.random().toString(36).slice(2, 10)}`,
    to: '+4915112345678',
    text: SHELLISH,
    simSlot: null,
    segments: 1,
    expiresAt: Date.now() + 3600_000,
    ...overrides,
  };
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

async function waitFor<T>(fn: () => T | undefined | false, timeoutMs = 3000): Promise<T> {
  const start = Date.now();
  for (;;) {
    const value = fn();
    if (value) return value;
    if (Date.now() - start > timeoutMs) throw new Error('waitFor timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('smsgate driver against the SMSGate Local API stand-in', () => {
  let fake: FakeSmsGate;
  let driver: ReturnType<typeof createSmsGateDriver>;
  let events: DriverEvent[];
  const logs: string[] = [];

  beforeEach(async () => {
    fake = new FakeSmsGate();
    await fake.start();
    events = [];
    logs.length = 0;
    driver = createSmsGateDriver({
      baseUrl: fake.baseUrl,
      username: fake.username,
      password: fake.password,
      webhookSigningKey: fake.signingKey,
      listenPort: 0,
      requestTimeoutMs: 500,
      registerRetryMs: 50,
      log: (level, message, fields) => logs.push(`${level} ${message} ${JSON.stringify(fields ?? {})}`),
    });
    await driver.start((event) => events.push(event));
  });

  afterEach(async () => {
    await driver.stop();
    await fake.stop();
  });

  it('registers one webhook per event, with fixed ids, pointing at its own 127.0.0.1 listener', async () => {
    const hooks = [...fake.webhooks.values()];
    expect(hooks.map((h) => h.event).sort()).toEqual([
      'sms:delivered',
      'sms:failed',
      'sms:received',
      'sms:sent',
    ]);
    for (const hook of hooks) {
      expect(hook.url).toBe(driver.webhookUrl);
      expect(hook.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
      expect(hook.id).toMatch(/^lifeline-sms-/);
    }
    // Re-registering (an agent restart) replaces them instead of adding more.
    await driver.registerWebhooks();
    expect(fake.webhooks.size).toBe(4);
  });

  it('sends with the server id, 1-based SIM, TTL and a delivery report, and reports sent then delivered', async () => {
    const req = request({ simSlot: 1, expiresAt: Date.now() + 600_000 });
    await driver.send(req);

    const post = fake.requests.find((r) => r.method === 'POST' && r.path === '/message');
    expect(post?.authorized).toBe(true);
    const body = post?.body as Record<string, unknown>;
    expect(body.id).toBe(req.id);
    expect(body.phoneNumbers).toEqual([req.to]);
    expect(body.textMessage).toEqual({ text: SHELLISH });
    expect(body.simNumber).toBe(2);
    expect(body.withDeliveryReport).toBe(true);
    expect(body.ttl).toBeGreaterThanOrEqual(598);
    expect(body.ttl).toBeLessThanOrEqual(600);
    expect(fake.messages.get(req.id)?.text).toBe(SHELLISH);

    fake.markSent(req.id, { parts: 2 });
    fake.markDelivered(req.id, { parts: 2 });
    await fake.settled();
    expect(events.map((e) => e.type)).toEqual(['sent', 'delivered']);
    expect(events[0]).toMatchObject({ type: 'sent', id: req.id, parts: 2 });
    expect(events[1]).toMatchObject({ type: 'delivered', id: req.id });
    // Two parts -> two sms:delivered webhooks, both acknowledged with 2xx so the app stops retrying.
    expect(fake.deliveries.filter((d) => d.event === 'sms:delivered').map((d) => d.status)).toEqual([
      200, 200,
    ]);
  });

  it('omits simNumber for the default SIM', async () => {
    const req = request({ simSlot: null });
    await driver.send(req);
    const body = fake.requests.find((r) => r.path === '/message')?.body as Record<string, unknown>;
    expect(body).not.toHaveProperty('simNumber');
  });

  it('drops duplicate webhooks (each sent three times) and passes each status on once', async () => {
    fake.webhookCopies = 3;
    const req = request();
    await driver.send(req);
    fake.markSent(req.id);
    fake.markDelivered(req.id);
    await fake.settled();
    expect(fake.deliveries).toHaveLength(6);
    expect(fake.deliveries.every((d) => d.status === 200)).toBe(true);
    expect(events.map((e) => e.type)).toEqual(['sent', 'delivered']);
  });

  it('passes on late webhooks with the time the phone stamped, not the arrival time', async () => {
    const req = request();
    await driver.send(req);
    fake.webhookDelayMs = 300;
    const before = Date.now();
    fake.markSent(req.id);
    await fake.settled();
    const sent = events.find((e) => e.type === 'sent');
    expect(sent).toBeDefined();
    expect(sent!.at).toBeLessThan(before + 250);
    expect(Date.now() - before).toBeGreaterThanOrEqual(300);
  });

  it('receives a webhook the app retried while the agent was restarting (late, after a restart)', async () => {
    const port = await freePort();
    const options = {
      baseUrl: fake.baseUrl,
      username: fake.username,
      password: fake.password,
      webhookSigningKey: fake.signingKey,
      listenPort: port,
    };
    await driver.stop();
    const first = createSmsGateDriver(options);
    await first.start(() => {});
    const req = request();
    await first.send(req);
    await first.stop(); // the agent is killed: its listener is gone

    fake.webhookRetryDelaysMs = [150, 300];
    fake.markSent(req.id);
    await new Promise((r) => setTimeout(r, 50));
    const restarted = createSmsGateDriver(options);
    const seen: DriverEvent[] = [];
    await restarted.start((e) => seen.push(e));
    await fake.settled();
    expect(fake.deliveries.map((d) => d.status)).toEqual(['error', 200]);
    expect(seen).toEqual([expect.objectContaining({ type: 'sent', id: req.id })]);
    await restarted.stop();
  });

  it('refuses webhooks with a wrong key, no signature or a stale timestamp', async () => {
    const req = request();
    await driver.send(req);
    for (const signing of ['wrong-key', 'unsigned', 'stale'] as const) {
      fake.signing = signing;
      fake.markSent(req.id);
      await fake.settled();
    }
    expect(fake.deliveries.map((d) => d.status)).toEqual([401, 401, 401]);
    expect(events).toEqual([]);

    // A tampered body with the original signature is refused too.
    const ts = String(Math.floor(Date.now() / 1000));
    const body = JSON.stringify({ event: 'sms:sent', payload: { messageId: req.id, phoneNumber: req.to } });
    fake.fireRaw('sms:sent', body.replace(req.id, 'other'), {
      'X-Signature': fake.sign(body, ts),
      'X-Timestamp': ts,
    });
    await fake.settled();
    expect(fake.deliveries.at(-1)?.status).toBe(401);

    fake.signing = 'correct';
    fake.markSent(req.id);
    await fake.settled();
    expect(events.map((e) => e.type)).toEqual(['sent']);
  });

  it('treats 409 on a repeated id as accepted: the engine keeps one copy', async () => {
    const req = request();
    await driver.send(req);
    await expect(driver.send(req)).resolves.toBeUndefined();
    const posts = fake.requests.filter((r) => r.path === '/message');
    expect(posts).toHaveLength(2);
    expect(fake.messages.size).toBe(1);
  });

  it('maps a validation error to a non-retryable failure that never reached the engine', async () => {
    const error = await driver.send(request({ to: '' })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SendError);
    expect(error).toMatchObject({ code: 'ENGINE_REJECTED', reachedEngine: false });
  });

  it('does not hand over a message that has already expired', async () => {
    const error = await driver.send(request({ expiresAt: Date.now() - 1 })).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'EXPIRED', reachedEngine: false });
    expect(fake.requests.filter((r) => r.path === '/message')).toHaveLength(0);
  });

  it('reports wrong credentials as ENGINE_AUTH', async () => {
    const wrong = createSmsGateDriver({
      baseUrl: fake.baseUrl,
      username: 'sms',
      password: 'wrong',
      webhookSigningKey: fake.signingKey,
    });
    await expect(wrong.send(request())).rejects.toMatchObject({ code: 'ENGINE_AUTH', reachedEngine: false });
  });

  it('reads /health: pass, and fail (HTTP 500) with the failing checks', async () => {
    const ok = await driver.health();
    expect(ok.status).toBe('pass');
    expect(ok.checks['battery:level']).toMatchObject({ status: 'pass' });
    expect(ok.checks.webhooks).toEqual({ status: 'pass' });

    fake.healthStatus = 'fail';
    const failing = await driver.health();
    expect(failing.status).toBe('fail');
    expect(failing.checks['messages:failed']).toMatchObject({ status: 'fail' });
    expect(fake.requests.filter((r) => r.path === '/health').every((r) => !r.authorized)).toBe(true);
  });

  it('reports the engine down in health, and sends as ENGINE_UNREACHABLE (provably not handed over)', async () => {
    await fake.kill();
    const health = await driver.health();
    expect(health.status).toBe('fail');
    expect(health.checks.engine?.detail).toContain('ECONNREFUSED');
    await expect(driver.send(request())).rejects.toMatchObject({
      code: 'ENGINE_UNREACHABLE',
      reachedEngine: false,
    });
    expect(await driver.lookup('anything')).toMatchObject({ known: 'cannot_tell' });
  });

  it('app dies mid-send after accepting (connection dropped): reachedEngine maybe, then lookup finds it', async () => {
    const req = request();
    fake.nextSendDies = 'drop-after-accept';
    const error = await driver.send(req).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SendError);
    expect((error as SendError).reachedEngine).toBe('maybe');
    expect(await driver.lookup(req.id)).toMatchObject({ known: true, state: 'pending' });

    // Retrying the same id is harmless: 409, still one message.
    await driver.send(req);
    expect(fake.messages.size).toBe(1);
  });

  it('app hangs after accepting: timeout is reachedEngine maybe; the app comes back and lookup answers sent', async () => {
    const req = request();
    fake.nextSendDies = 'hang-after-accept';
    const started = Date.now();
    await expect(driver.send(req)).rejects.toMatchObject({ code: 'ENGINE_TIMEOUT', reachedEngine: 'maybe' });
    expect(Date.now() - started).toBeLessThan(2000);

    await fake.kill();
    expect(await driver.lookup(req.id)).toMatchObject({ known: 'cannot_tell' });
    await fake.start();
    fake.markSent(req.id);
    expect(await driver.lookup(req.id)).toMatchObject({ known: true, state: 'sent' });
  });

  it('connection cut before the app read the request: reachedEngine maybe, and lookup says unknown id', async () => {
    const req = request();
    fake.nextSendDies = 'drop-before-accept';
    await expect(driver.send(req)).rejects.toMatchObject({ reachedEngine: 'maybe' });
    expect(await driver.lookup(req.id)).toEqual({ known: false });
  });

  it('lookup maps every state and a 404', async () => {
    const a = request();
    const b = request();
    await driver.send(a);
    await driver.send(b);
    fake.markSent(a.id);
    fake.markDelivered(a.id);
    fake.markFailed(b.id, 'RESULT_ERROR_NO_SERVICE');
    await fake.settled();
    expect(await driver.lookup(a.id)).toMatchObject({ known: true, state: 'delivered' });
    expect(await driver.lookup(b.id)).toMatchObject({
      known: true,
      state: 'failed',
      errorCode: 'RESULT_ERROR_NO_SERVICE',
    });
    expect(await driver.lookup('never-sent')).toEqual({ known: false });
  });

  it('tells a send failure from a delivery failure', async () => {
    const neverSent = request();
    const sentThenFailed = request();
    await driver.send(neverSent);
    await driver.send(sentThenFailed);
    fake.markFailed(neverSent.id, 'RESULT_ERROR_GENERIC_FAILURE');
    fake.markSent(sentThenFailed.id);
    await fake.settled();
    fake.markFailed(sentThenFailed.id, 'Delivery failed: permanent error');
    await fake.settled();
    const failures = events.filter((e) => e.type === 'failed');
    expect(failures).toEqual([
      expect.objectContaining({ id: neverSent.id, stage: 'send', errorCode: 'RESULT_ERROR_GENERIC_FAILURE' }),
      expect.objectContaining({ id: sentThenFailed.id, stage: 'delivery' }),
    ]);
  });

  it('asks the engine whether a failed message was sent when it did not see the sent webhook itself', async () => {
    const req = request();
    await driver.send(req);
    fake.signing = 'unsigned';
    fake.markSent(req.id); // refused: the driver never learns it was sent from a webhook
    await fake.settled();
    fake.signing = 'correct';
    fake.markFailed(req.id, 'Delivery failed');
    await fake.settled();
    expect(events).toEqual([expect.objectContaining({ type: 'failed', id: req.id, stage: 'delivery' })]);
  });

  it('passes on received SMS (for the canary probe) with a 0-based SIM slot', async () => {
    fake.webhookCopies = 2;
    fake.receive('+4917000000000', 'canary 42', 2);
    await fake.settled();
    expect(events).toEqual([
      expect.objectContaining({ type: 'received', from: '+4917000000000', text: 'canary 42', simSlot: 1 }),
    ]);
  });

  it('keeps retrying webhook registration while the app is away', async () => {
    await driver.stop();
    await fake.kill();
    fake.webhooks.clear();
    const late = createSmsGateDriver({
      baseUrl: fake.baseUrl,
      username: fake.username,
      password: fake.password,
      webhookSigningKey: fake.signingKey,
      listenPort: 0,
      registerRetryMs: 30,
      requestTimeoutMs: 300,
    });
    await late.start(() => {});
    expect((await late.health()).status).toBe('fail');
    await fake.start();
    await waitFor(() => fake.webhooks.size === 4);
    expect((await late.health()).checks.webhooks).toEqual({ status: 'pass' });
    await late.stop();
  });

  it('derives telemetry from /health when no phone telemetry is given, and prefers the phone reader', async () => {
    fake.battery = { level: 41, charging: 5 };
    expect(await driver.telemetry()).toEqual({
      battery: { percent: 41, charging: true },
      network: { type: 'wifi', connected: true },
    });
    const withReader = createSmsGateDriver({
      baseUrl: fake.baseUrl,
      username: fake.username,
      password: fake.password,
      webhookSigningKey: fake.signingKey,
      telemetry: async () => ({ battery: { percent: 40, charging: true, temperatureC: 31.5 } }),
    });
    expect(await withReader.telemetry()).toMatchObject({
      battery: { percent: 40, temperatureC: 31.5 },
      network: { type: 'wifi' },
    });
  });

  it('never logs message text, numbers or secrets', async () => {
    const req = request();
    fake.nextSendDies = 'drop-after-accept';
    await driver.send(req).catch(() => {});
    await driver.send(req);
    fake.signing = 'wrong-key';
    fake.markSent(req.id);
    await fake.settled();
    const all = logs.join('\n');
    expect(logs.length).toBeGreaterThan(0);
    for (const secret of [SHELLISH, 'Your code', req.to, fake.password, fake.signingKey]) {
      expect(all).not.toContain(secret);
    }
  });
});
