import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMailLogChannel, createResendChannel } from '../src/channels/email.ts';
import { createWebPushChannel, generateVapidKeys } from '../src/channels/web-push.ts';
import { sendSignedWebhook } from '../src/channels/webhook.ts';
import { FakePushService } from './fakes/push-service.ts';
import { FakeResend } from './fakes/resend-api.ts';

describe('web push channel', () => {
  const push = new FakePushService();
  const vapid = generateVapidKeys();
  const channel = createWebPushChannel({ vapid, subject: 'mailto:ops@example.com', timeoutMs: 1_000 });
  beforeAll(() => push.start());
  afterAll(() => push.stop());

  it('delivers an encrypted payload the browser can decrypt, with a VAPID JWT the service accepts', async () => {
    const sub = push.subscribe();
    const payload = { title: '2 devices offline', body: 'Shop phone 1, Shop phone 2', url: '/admin/alerts' };
    const result = await channel.send(sub, { payload, ttlS: 3_600, topic: 'alert-123' });
    expect(result).toEqual({ ok: true, status: 201 });
    expect(push.received).toHaveLength(1);
    const got = push.received[0]!;
    expect(got.payload).toEqual(payload);
    expect(got).toMatchObject({ subscriptionId: sub.id, ttl: 3_600, urgency: 'high', topic: 'alert-123' });
    expect(got.jwt.sub).toBe('mailto:ops@example.com');
  });

  it('is refused by the service when signed with another key than the one it presents', async () => {
    const sub = push.subscribe();
    const forged = createWebPushChannel({
      vapid: { publicKey: vapid.publicKey, privateKey: generateVapidKeys().privateKey },
      subject: 'mailto:ops@example.com',
    });
    const result = await forged.send(sub, { payload: { x: 1 }, ttlS: 60 });
    expect(result).toMatchObject({ ok: false, retryable: false, status: 403 });
    expect(push.rejected.at(-1)?.reason).toMatch(/signature/);
  });

  it('reports 410 as gone, 503 as retryable, and a slow service as a retryable timeout', async () => {
    const sub = push.subscribe();
    push.setStatus(sub.id, 410);
    expect(await channel.send(sub, { payload: {}, ttlS: 60 })).toMatchObject({
      ok: false,
      gone: true,
      status: 410,
    });
    push.setStatus(sub.id, 503);
    expect(await channel.send(sub, { payload: {}, ttlS: 60 })).toMatchObject({
      ok: false,
      retryable: true,
      status: 503,
    });
    push.setStatus(sub.id, 201, 1_500);
    expect(await channel.send(sub, { payload: {}, ttlS: 60 })).toMatchObject({
      ok: false,
      retryable: true,
      error: 'timed out',
    });
  });

  it('drops a malformed subscription without a request', async () => {
    const result = await channel.send(
      { endpoint: `${push.url}/push/x`, keys: { p256dh: 'bad', auth: 'bad' } },
      { payload: {}, ttlS: 60 },
    );
    expect(result).toMatchObject({ ok: false, gone: true, retryable: false });
  });
});

describe('email channels', () => {
  const resend = new FakeResend();
  beforeAll(() => resend.start());
  afterAll(() => resend.stop());

  it('sends through Resend with an idempotency key, once however often it is retried', async () => {
    const channel = createResendChannel({
      apiKey: resend.apiKey,
      from: 'Lifeline <alerts@example.com>',
      baseUrl: resend.url,
    });
    const email = {
      to: 'admin@example.com',
      subject: 'Shop phone 1 is offline',
      text: 'No heartbeat for 2 min 30 s.',
      headers: { 'List-Unsubscribe': '<https://status.example.com/u/abc>' },
    };
    const first = await channel.send(email, 'ntf_1');
    const again = await channel.send(email, 'ntf_1');
    expect(first.ok && again.ok && first.providerId === again.providerId).toBe(true);
    expect(resend.sent).toHaveLength(1);
    expect(resend.sent[0]).toMatchObject({
      to: ['admin@example.com'],
      idempotencyKey: 'ntf_1',
      headers: email.headers,
    });
  });

  it('maps Resend errors: 5xx and 429 retryable, validation and auth final', async () => {
    const channel = createResendChannel({
      apiKey: resend.apiKey,
      from: 'alerts@example.com',
      baseUrl: resend.url,
    });
    resend.failWith = 503;
    expect(await channel.send({ to: 'a@example.com', subject: 's', text: 't' }, 'k2')).toMatchObject({
      ok: false,
      retryable: true,
    });
    resend.failWith = 0;
    expect(await channel.send({ to: 'not an address', subject: 's', text: 't' }, 'k3')).toMatchObject({
      ok: false,
      retryable: false,
      status: 422,
    });
    const wrongKey = createResendChannel({
      apiKey: 're_wrong',
      from: 'alerts@example.com',
      baseUrl: resend.url,
    });
    expect(await wrongKey.send({ to: 'a@example.com', subject: 's', text: 't' }, 'k4')).toMatchObject({
      ok: false,
      retryable: false,
      status: 401,
    });
  });

  it('writes to the local mail log without an API key, once per idempotency key', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lifeline-mail-'));
    try {
      const log = createMailLogChannel(join(dir, 'mail.log'), () => Date.UTC(2026, 10, 24));
      await log.send({ to: 'a@example.com', subject: 'Down', text: 'body' }, 'k1');
      await log.send({ to: 'a@example.com', subject: 'Down', text: 'body' }, 'k1');
      const lines = (await readFile(join(dir, 'mail.log'), 'utf8')).trim().split('\n');
      expect(lines).toHaveLength(1);
      expect(JSON.parse(lines[0]!)).toMatchObject({
        at: '2026-11-24T00:00:00.000Z',
        idempotencyKey: 'k1',
        subject: 'Down',
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('webhook channel', () => {
  let server: Server;
  let url = '';
  const got: { headers: Record<string, string>; body: string }[] = [];
  let status = 200;
  beforeAll(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        got.push({ headers: req.headers as Record<string, string>, body });
        res.writeHead(status).end();
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('signs per Standard Webhooks so the receiver verifies it, and reads answers as the other channels do', async () => {
    const secret = `whsec_${Buffer.from('0123456789abcdef0123456789abcdef').toString('base64')}`;
    const result = await sendSignedWebhook(
      { url, secret },
      { id: 'ntf_9', type: 'alert.firing', data: { rule: 'Device offline' } },
      new Date(),
    );
    expect(result).toEqual({ ok: true, status: 200 });
    const event = new Webhook(secret).verify(got[0]!.body, got[0]!.headers) as {
      type: string;
      data: unknown;
    };
    expect(event).toMatchObject({ type: 'alert.firing', data: { rule: 'Device offline' } });
    status = 500;
    expect(
      await sendSignedWebhook({ url, secret }, { id: 'ntf_9', type: 'alert.firing', data: {} }, new Date()),
    ).toMatchObject({
      ok: false,
      retryable: true,
      status: 500,
    });
  });
});
