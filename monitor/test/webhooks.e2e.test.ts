/**
 * Workspace webhooks end to end: a real Lifeline server on 127.0.0.1 (manual clock), a TestDevice acting
 * as the phone, and real HTTP receivers on 127.0.0.1 that verify every delivery with the
 * `standardwebhooks` library and record what they got.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { webhookDeliveries, webhooks } from '@lifeline/db/schema';
import { eq } from 'drizzle-orm';
import { Webhook } from 'standardwebhooks';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ConfigError } from '../src/config.ts';
import type { Logger } from '../src/logger.ts';
import { startNodeServer } from '../src/server.ts';
import { tick } from '../src/tick.ts';
import { dispatchWebhooks } from '../src/webhooks/dispatcher.ts';
import { startTestServer, type TestServer } from './helpers.ts';
import { SendLedger, TestDevice } from './test-device.ts';

const S = 1_000;
const ALL_EVENTS = [
  'message.queued',
  'message.leased',
  'message.submitted',
  'message.sent',
  'message.delivered',
];

interface Received {
  id: string;
  timestamp: string;
  type: string;
  // biome-ignore lint/suspicious/noExplicitAny: the event's data as sent
  data: any;
  body: string;
  headers: Record<string, string>;
  /** What this receiver answered. */
  status: number;
  /** Wall time it arrived. */
  arrivedAt: number;
}

type Mode = 'ok' | 'fail' | 'redirect' | 'slow';

/** A webhook endpoint: verifies each delivery's signature (at the server's clock) and records it. */
class Receiver {
  server: Server | undefined;
  port = 0;
  secret = '';
  mode: Mode = 'ok';
  slowMs = 5_000;
  readonly requests: Received[] = [];
  readonly invalid: string[] = [];
  redirectedHits = 0;
  readonly #now: () => number;
  readonly #timers = new Set<NodeJS.Timeout>();

  constructor(now: () => number) {
    this.#now = now;
  }

  get url() {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  async start(port = 0) {
    this.server = createServer((req, res) => this.#handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop() {
    for (const t of this.#timers) clearTimeout(t);
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = undefined;
  }

  /** Deliveries this receiver acknowledged with a 2xx. */
  accepted() {
    return this.requests.filter((r) => r.status >= 200 && r.status < 300);
  }

  /** How many times each webhook-id was acknowledged. */
  acceptedCounts() {
    const counts = new Map<string, number>();
    for (const r of this.accepted()) counts.set(r.id, (counts.get(r.id) ?? 0) + 1);
    return counts;
  }

  #handle(req: IncomingMessage, res: ServerResponse) {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => {
      if (req.url === '/elsewhere') {
        this.redirectedHits++;
        res.writeHead(200).end();
        return;
      }
      const headers = Object.fromEntries(
        Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : (v ?? '')]),
      );
      // biome-ignore lint/suspicious/noExplicitAny: the verified event
      let event: any = null;
      const spy = vi.spyOn(Date, 'now').mockReturnValue(this.#now()); // the signature's clock is the server's
      try {
        event = new Webhook(this.secret).verify(body, headers);
      } catch (err) {
        this.invalid.push(`${headers['webhook-id']}: ${(err as Error).message}`);
      } finally {
        spy.mockRestore();
      }
      const status = event === null ? 401 : this.mode === 'fail' ? 500 : this.mode === 'redirect' ? 302 : 200;
      this.requests.push({
        id: headers['webhook-id'] ?? '',
        timestamp: headers['webhook-timestamp'] ?? '',
        type: event?.type,
        data: event?.data,
        body,
        headers,
        status,
        arrivedAt: performance.now(),
      });
      if (status === 302) {
        res.writeHead(302, { location: `http://127.0.0.1:${this.port}/elsewhere` }).end();
      } else if (status === 500) {
        res.writeHead(500, { 'content-type': 'text/plain' }).end('down for maintenance');
      } else if (this.mode === 'slow') {
        const t = setTimeout(() => {
          this.#timers.delete(t);
          if (!res.destroyed) res.writeHead(200).end();
        }, this.slowMs);
        this.#timers.add(t);
      } else {
        res.writeHead(status).end();
      }
    });
  }
}

let s: TestServer;
let ledger: SendLedger;
const receivers: Receiver[] = [];

beforeEach(async () => {
  s = await startTestServer();
  ledger = new SendLedger();
});
afterEach(async () => {
  for (const r of receivers.splice(0)) await r.stop();
  await s.close();
});

async function receiver(port = 0) {
  const r = await new Receiver(() => s.clock.now()).start(port);
  receivers.push(r);
  return r;
}

async function createWebhook(body: Record<string, unknown>, token = s.creds.apiKey) {
  const res = await s.request('POST', '/v1/webhooks', { token, body });
  if (res.status !== 201) throw new Error(`create webhook: ${res.status} ${JSON.stringify(res.json)}`);
  return res.json as { id: string; secret: string; url: string; eventTypes: string[] | null };
}

/** A webhook pointing at the receiver, which learns its secret. */
async function hook(r: Receiver, body: Record<string, unknown> = {}, token?: string) {
  const created = await createWebhook({ url: r.url, ...body }, token);
  r.secret = created.secret;
  return created;
}

async function send(text = 'hello', token = s.creds.apiKey) {
  const res = await s.request('POST', '/v1/messages', { token, body: { to: '+447700900123', text } });
  if (res.status !== 201) throw new Error(`send: ${res.status} ${JSON.stringify(res.json)}`);
  return res.json as { id: string };
}

async function deliveries(webhookId: string, query = '', token = s.creds.apiKey) {
  const res = await s.request('GET', `/v1/webhooks/${webhookId}/deliveries${query}`, { token });
  expect(res.status).toBe(200);
  // biome-ignore lint/suspicious/noExplicitAny: API JSON
  return res.json.deliveries as any[];
}

function capturingLogger() {
  const lines: string[] = [];
  const log = (level: string) => (msg: string, fields?: Record<string, unknown>) => {
    lines.push(JSON.stringify({ level, msg, ...fields }));
  };
  const logger: Logger = { info: log('info'), warn: log('warn'), error: log('error') };
  return { logger, lines };
}

describe('webhook deliveries', () => {
  it('sends every status change of a message, signed, to a webhook whose secret is shown only once', async () => {
    const r = await receiver();
    const created = await createWebhook({ url: r.url, description: 'CRM' });
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(created).toMatchObject({ url: r.url, eventTypes: null, description: 'CRM', enabled: true });
    r.secret = created.secret;

    const list = await s.request('GET', '/v1/webhooks', { token: s.creds.apiKey });
    expect(list.json.webhooks).toHaveLength(1);
    expect(JSON.stringify(list.json)).not.toContain(created.secret);
    expect(list.json.webhooks[0]).not.toHaveProperty('secret');
    const one = await s.request('GET', `/v1/webhooks/${created.id}`, { token: s.creds.apiKey });
    expect(JSON.stringify(one.json)).not.toContain(created.secret);
    // at rest it is sealed, not stored in the clear
    const [stored] = await s.deps.db.select().from(webhooks).where(eq(webhooks.id, created.id));
    expect(stored!.secretCiphertext).toMatch(/^v1\./);
    expect(stored!.secretCiphertext).not.toContain(created.secret.slice(6));

    const device = await TestDevice.enroll(s, 'phone', ledger);
    const msg = await send();
    expect(await device.work()).toBe(1);
    const report = await tick(s.deps, s.clock.now());
    expect(report.webhooks).toEqual({ delivered: 5, failed: 0, dead: 0 });

    expect(r.invalid).toEqual([]);
    const got = r.accepted();
    expect(got.map((e) => e.type)).toEqual(ALL_EVENTS);
    for (const e of got) {
      expect(e.data.id).toBe(msg.id);
      expect(e.data).not.toHaveProperty('text');
      expect(e.headers['content-type']).toBe('application/json');
      expect(e.headers['user-agent']).toBe('Lifeline-Webhooks/0.1');
      expect(e.id).toMatch(/^msg_[0-9a-f]{32}$/);
      expect(Number(e.timestamp)).toBe(Math.floor(s.clock.now() / 1000));
      expect(JSON.parse(e.body)).toMatchObject({ type: e.type, timestamp: expect.any(String) });
    }
    expect(got.at(-1)!.data.status).toBe('delivered');
    expect(new Set(got.map((e) => e.id)).size).toBe(5);

    const ds = await deliveries(created.id);
    expect(ds).toHaveLength(5);
    for (const d of ds) {
      expect(d).toMatchObject({ status: 'delivered', attempts: 1, lastStatusCode: 200, lastError: null });
      expect(d.nextAttemptAt).toBeNull();
      expect(d.deliveredAt).toBeGreaterThanOrEqual(s.clock.now());
      expect(got.map((e) => e.id)).toContain(d.eventId);
    }
    expect(JSON.stringify(ds)).not.toContain(created.secret);
    // nothing more to send
    expect((await tick(s.deps, s.clock.now())).webhooks).toEqual({ delivered: 0, failed: 0, dead: 0 });
    expect(r.requests).toHaveLength(5);
  });

  it('sends only the event types a webhook asks for, and all of them once it asks for null', async () => {
    const r = await receiver();
    const created = await hook(r, { eventTypes: ['message.delivered', 'message.sent', 'message.sent'] });
    expect(created.eventTypes).toEqual(['message.delivered', 'message.sent']);
    const device = await TestDevice.enroll(s, 'phone', ledger);
    const first = await send();
    await device.work();
    await tick(s.deps, s.clock.now());
    expect(r.accepted().map((e) => [e.type, e.data.id])).toEqual([
      ['message.sent', first.id],
      ['message.delivered', first.id],
    ]);

    const patched = await s.request('PATCH', `/v1/webhooks/${created.id}`, {
      token: s.creds.apiKey,
      body: { eventTypes: null },
    });
    expect(patched.status).toBe(200);
    expect(patched.json.eventTypes).toBeNull();
    const second = await send();
    await device.work();
    await tick(s.deps, s.clock.now());
    expect(
      r
        .accepted()
        .filter((e) => e.data.id === second.id)
        .map((e) => e.type),
    ).toEqual(ALL_EVENTS);
    expect(r.invalid).toEqual([]);
  });

  it('retries a down receiver with backoff, and it gets each event exactly once when it recovers', async () => {
    const r = await receiver();
    const port = r.port;
    await r.stop(); // connection refused
    const created = await hook(r);
    const { logger, lines } = capturingLogger();
    const deps = { ...s.deps, logger };
    const msg = await send();

    let report = await tick(deps, s.clock.now());
    expect(report.webhooks).toEqual({ delivered: 0, failed: 1, dead: 0 });
    let [d] = await deliveries(created.id);
    expect(d).toMatchObject({
      status: 'pending',
      attempts: 1,
      lastStatusCode: null,
      eventType: 'message.queued',
    });
    expect(d.lastError).toMatch(/ECONNREFUSED|fetch failed/);
    expect(d.nextAttemptAt - s.clock.now()).toBeGreaterThanOrEqual(4 * S);
    expect(d.nextAttemptAt - s.clock.now()).toBeLessThanOrEqual(6 * S + 500);

    s.clock.advance(3 * S); // not due yet
    expect((await tick(deps, s.clock.now())).webhooks).toEqual({ delivered: 0, failed: 0, dead: 0 });

    await r.start(port);
    r.mode = 'fail'; // up, but answering 500
    s.clock.advance(4 * S);
    report = await tick(deps, s.clock.now());
    expect(report.webhooks).toEqual({ delivered: 0, failed: 1, dead: 0 });
    [d] = await deliveries(created.id);
    expect(d).toMatchObject({
      status: 'pending',
      attempts: 2,
      lastStatusCode: 500,
      lastError: 'HTTP 500: down for maintenance',
    });
    const wait = d.nextAttemptAt - s.clock.now();
    expect(wait).toBeGreaterThanOrEqual(24 * S);
    expect(wait).toBeLessThanOrEqual(36 * S + 500);

    r.mode = 'ok';
    s.clock.advance(20 * S);
    expect((await tick(deps, s.clock.now())).webhooks.delivered).toBe(0);
    s.clock.advance(20 * S);
    expect((await tick(deps, s.clock.now())).webhooks).toEqual({ delivered: 1, failed: 0, dead: 0 });
    s.clock.advance(3_600 * S);
    await tick(deps, s.clock.now());

    expect(r.invalid).toEqual([]);
    expect(r.requests.map((q) => q.status)).toEqual([500, 200]);
    expect(new Set(r.requests.map((q) => q.id)).size).toBe(1); // the same webhook-id on every attempt
    expect([...r.acceptedCounts().values()]).toEqual([1]);
    expect(r.accepted()[0]!.data.id).toBe(msg.id);
    [d] = await deliveries(created.id);
    expect(d).toMatchObject({ status: 'delivered', attempts: 3, lastStatusCode: 200, lastError: null });
    // failures were logged, never with the secret or the URL
    expect(lines.some((l) => l.includes('webhook delivery failed'))).toBe(true);
    for (const l of lines) {
      expect(l).not.toContain(created.secret);
      expect(l).not.toContain(created.secret.slice(6));
      expect(l).not.toContain(r.url);
    }
  });

  it('does not follow redirects: a 3xx is a failed attempt', async () => {
    const r = await receiver();
    r.mode = 'redirect';
    const created = await hook(r);
    await send();
    expect((await tick(s.deps, s.clock.now())).webhooks).toEqual({ delivered: 0, failed: 1, dead: 0 });
    expect(r.redirectedHits).toBe(0);
    const [d] = await deliveries(created.id);
    expect(d).toMatchObject({
      status: 'pending',
      lastStatusCode: 302,
      lastError: 'HTTP 302 (redirect not followed)',
    });
  });

  it('dead-letters a delivery that is still failing at its deadline, keeping the last error', async () => {
    const r = await receiver();
    r.mode = 'fail';
    const created = await hook(r);
    await send();
    await tick(s.deps, s.clock.now());
    s.clock.advance(3 * 86_400 * S);
    const report = await tick(s.deps, s.clock.now());
    // the queued event is dead; the sweep's `message.expired` (its TTL passed too) is a new delivery, failing
    expect(report.webhooks).toEqual({ delivered: 0, failed: 1, dead: 1 });
    const [d] = await deliveries(created.id, '?status=dead');
    expect(d).toMatchObject({
      eventType: 'message.queued',
      status: 'dead',
      attempts: 1,
      lastStatusCode: 500,
      lastError: 'HTTP 500: down for maintenance',
      nextAttemptAt: null,
    });
    r.mode = 'ok';
    s.clock.advance(86_400 * S);
    await tick(s.deps, s.clock.now());
    expect(r.accepted().map((e) => e.type)).toEqual(['message.expired']);
    expect(await deliveries(created.id, '?status=pending')).toEqual([]);
  });

  it('never sends one workspace’s events to another’s webhook, nor lets it see or change them', async () => {
    const mine = await receiver();
    const theirs = await receiver();
    const other = await s.createWorkspace('other');
    const myHook = await hook(mine);
    const theirHook = await hook(theirs, {}, other.apiKey);
    const a = await send('for A');
    const b = await send('for B', other.apiKey);
    await tick(s.deps, s.clock.now());
    expect(mine.accepted().map((e) => e.data.id)).toEqual([a.id]);
    expect(theirs.accepted().map((e) => e.data.id)).toEqual([b.id]);
    expect(mine.invalid).toEqual([]);
    expect(theirs.invalid).toEqual([]);

    const list = await s.request('GET', '/v1/webhooks', { token: other.apiKey });
    expect(list.json.webhooks.map((w: { id: string }) => w.id)).toEqual([theirHook.id]);
    for (const [method, path, body] of [
      ['GET', `/v1/webhooks/${myHook.id}`, undefined],
      ['PATCH', `/v1/webhooks/${myHook.id}`, { url: theirs.url }],
      ['DELETE', `/v1/webhooks/${myHook.id}`, undefined],
      ['POST', `/v1/webhooks/${myHook.id}/rotate-secret`, {}],
      ['GET', `/v1/webhooks/${myHook.id}/deliveries`, undefined],
    ] as const) {
      const res = await s.request(method, path, { token: other.apiKey, body });
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.json.error).toMatchObject({ code: 'webhook_not_found', field: 'id' });
    }
    const still = await s.request('GET', `/v1/webhooks/${myHook.id}`, { token: s.creds.apiKey });
    expect(still.json).toMatchObject({ url: mine.url, enabled: true });

    // Even an outbox row that named another workspace's webhook (it cannot be written so) is not sent.
    await s.deps.db.insert(webhookDeliveries).values({
      id: 'whd_forged',
      workspaceId: s.creds.workspaceId,
      webhookId: theirHook.id,
      eventType: 'message.queued',
      payload: JSON.stringify({ type: 'message.queued', data: { id: a.id } }),
      dedupKey: 'forged',
      nextAttemptAt: s.clock.now(),
      deadlineAt: s.clock.now() + 86_400 * S,
      createdAt: s.clock.now(),
    });
    expect((await tick(s.deps, s.clock.now())).webhooks).toEqual({ delivered: 0, failed: 0, dead: 1 });
    expect(theirs.requests).toHaveLength(1);
    const [forged] = await s.deps.db
      .select()
      .from(webhookDeliveries)
      .where(eq(webhookDeliveries.id, 'whd_forged'));
    expect(forged).toMatchObject({ status: 'dead', lastError: 'The webhook no longer exists.' });
  });

  it('a slow receiver holds one slot until its timeout and does not delay another webhook', async () => {
    const slow = await receiver();
    slow.mode = 'slow';
    const fast = await receiver();
    const slowHook = await hook(slow);
    await hook(fast);
    for (let i = 0; i < 3; i++) await send(`m${i}`);
    const started = performance.now();
    const report = await dispatchWebhooks({ db: s.deps.db, secretBox: s.deps.secretBox! }, s.clock.now(), {
      timeoutMs: 400,
    });
    const took = performance.now() - started;
    expect(report).toEqual({ delivered: 3, failed: 1, dead: 0 });
    expect(took).toBeLessThan(2_000);
    expect(fast.accepted()).toHaveLength(3);
    for (const e of fast.accepted()) expect(e.arrivedAt - started).toBeLessThan(400);
    // the slow endpoint got one attempt in this run; its other rows wait untouched
    expect(slow.requests).toHaveLength(1);
    const ds = await deliveries(slowHook.id);
    expect(ds.map((d) => d.attempts).sort()).toEqual([0, 0, 1]);
    expect(ds.find((d) => d.attempts === 1)).toMatchObject({
      status: 'pending',
      lastError: 'Timed out after 0.4 s',
      lastStatusCode: null,
    });
  });

  it('two dispatchers running at once never send the same delivery twice', async () => {
    const r = await receiver();
    await hook(r);
    const res = await s.request('POST', '/v1/messages/batch', {
      token: s.creds.apiKey,
      body: { messages: Array.from({ length: 40 }, (_, i) => ({ to: '+447700900123', text: `m${i}` })) },
    });
    expect(res.status).toBe(201);
    const deps = { db: s.deps.db, secretBox: s.deps.secretBox! };
    const reports = await Promise.all([
      dispatchWebhooks(deps, s.clock.now(), { perEndpoint: 3 }),
      dispatchWebhooks(deps, s.clock.now(), { perEndpoint: 3 }),
      dispatchWebhooks(deps, s.clock.now(), { perEndpoint: 3 }),
    ]);
    expect(reports.reduce((n, x) => n + x.delivered, 0)).toBe(40);
    expect(r.requests).toHaveLength(40);
    expect([...r.acceptedCounts().values()].every((n) => n === 1)).toBe(true);
    expect(r.acceptedCounts().size).toBe(40);
  });

  it('signs with the new secret after a rotation, retries included', async () => {
    const r = await receiver();
    r.mode = 'fail';
    const created = await hook(r);
    await send();
    await tick(s.deps, s.clock.now());
    const rotated = await s.request('POST', `/v1/webhooks/${created.id}/rotate-secret`, {
      token: s.creds.apiKey,
      body: {},
    });
    expect(rotated.status).toBe(200);
    expect(rotated.json.secret).toMatch(/^whsec_/);
    expect(rotated.json.secret).not.toBe(created.secret);
    r.secret = rotated.json.secret;
    r.mode = 'ok';
    s.clock.advance(10 * S);
    expect((await tick(s.deps, s.clock.now())).webhooks.delivered).toBe(1);
    expect(r.invalid).toEqual([]);
    const last = r.accepted()[0]!;
    const spy = vi.spyOn(Date, 'now').mockReturnValue(s.clock.now());
    try {
      expect(() => new Webhook(created.secret).verify(last.body, last.headers)).toThrow();
    } finally {
      spy.mockRestore();
    }
    const list = await s.request('GET', '/v1/webhooks', { token: s.creds.apiKey });
    expect(JSON.stringify(list.json)).not.toContain(rotated.json.secret);
  });

  it('stops recording events for a disabled webhook and dead-letters what was pending', async () => {
    const r = await receiver();
    r.mode = 'fail';
    const created = await hook(r);
    await send('before');
    await tick(s.deps, s.clock.now());
    const del = await s.request('DELETE', `/v1/webhooks/${created.id}`, { token: s.creds.apiKey });
    expect(del.status).toBe(200);
    expect(del.json).toMatchObject({ enabled: false, disabledAt: s.clock.now() });
    await send('while disabled');
    r.mode = 'ok';
    s.clock.advance(60 * S);
    expect((await tick(s.deps, s.clock.now())).webhooks).toEqual({ delivered: 0, failed: 0, dead: 1 });
    const ds = await deliveries(created.id);
    expect(ds).toHaveLength(1);
    expect(ds[0]).toMatchObject({ status: 'dead', lastError: expect.stringContaining('disabled') });

    const enabled = await s.request('PATCH', `/v1/webhooks/${created.id}`, {
      token: s.creds.apiKey,
      body: { enabled: true },
    });
    expect(enabled.json).toMatchObject({ enabled: true, disabledAt: null });
    const after = await send('after');
    await tick(s.deps, s.clock.now());
    expect(r.accepted().map((e) => e.data.id)).toEqual([after.id]);
  });

  it('pages through deliveries with a cursor and filters them by status', async () => {
    const r = await receiver();
    const created = await hook(r);
    for (let i = 0; i < 5; i++) {
      await send(`m${i}`);
      s.clock.advance(S);
    }
    await tick(s.deps, s.clock.now());
    const all = await deliveries(created.id);
    expect(all.map((d) => d.createdAt)).toEqual([...all.map((d) => d.createdAt)].sort((x, y) => y - x));
    const first = await s.request('GET', `/v1/webhooks/${created.id}/deliveries?limit=2`, {
      token: s.creds.apiKey,
    });
    expect(first.json.deliveries).toHaveLength(2);
    const seen = [...first.json.deliveries];
    let cursor = first.json.nextCursor;
    while (cursor) {
      const page = await s.request(
        'GET',
        `/v1/webhooks/${created.id}/deliveries?limit=2&cursor=${encodeURIComponent(cursor)}`,
        { token: s.creds.apiKey },
      );
      seen.push(...page.json.deliveries);
      cursor = page.json.nextCursor;
    }
    expect(seen.map((d) => d.id)).toEqual(all.map((d) => d.id));
    expect(await deliveries(created.id, '?status=delivered')).toHaveLength(5);
    expect(await deliveries(created.id, '?status=pending')).toHaveLength(0);
    expect(all[0].payload).toMatchObject({ type: 'message.queued', data: { status: 'queued' } });
  });
});

describe('webhook API input', () => {
  it.each([
    ['a non-URL', { url: 'not a url' }, 'url'],
    ['an ftp:// URL', { url: 'ftp://example.com/hook' }, 'url'],
    ['a URL with credentials', { url: 'https://user:pw@example.com/hook' }, 'url'],
    ['a missing URL', { description: 'x' }, 'url'],
    ['an unknown event type', { url: 'https://example.com/h', eventTypes: ['message.nope'] }, 'eventTypes.0'],
    ['an empty event type list', { url: 'https://example.com/h', eventTypes: [] }, 'eventTypes'],
    ['event types as a string', { url: 'https://example.com/h', eventTypes: 'message.sent' }, 'eventTypes'],
    ['an unknown field', { url: 'https://example.com/h', secret: 'whsec_mine' }, 'secret'],
    [
      'an oversize description',
      { url: 'https://example.com/h', description: 'x'.repeat(201) },
      'description',
    ],
  ])('refuses %s on create, naming the field, and creates nothing', async (_name, body, field) => {
    const res = await s.request('POST', '/v1/webhooks', { token: s.creds.apiKey, body });
    expect(res.status).toBe(400);
    expect(res.json.error).toMatchObject({ field, code: expect.any(String), message: expect.any(String) });
    expect((await s.request('GET', '/v1/webhooks', { token: s.creds.apiKey })).json.webhooks).toEqual([]);
  });

  it('refuses bad changes and queries, naming the field', async () => {
    const created = await createWebhook({ url: 'https://example.com/h' });
    const patch = (body: unknown) =>
      s.request('PATCH', `/v1/webhooks/${created.id}`, { token: s.creds.apiKey, body });
    expect((await patch({})).status).toBe(400);
    for (const [body, field] of [
      [{ enabled: 'yes' }, 'enabled'],
      [{ url: 'javascript:alert(1)' }, 'url'],
      [{ eventTypes: ['message.sent', 'device.offline'] }, 'eventTypes.1'],
      [{ color: 'red' }, 'color'],
    ] as const) {
      const res = await patch(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.json.error.field).toBe(field);
    }
    for (const [query, field] of [
      ['?status=bogus', 'status'],
      ['?limit=0', 'limit'],
      ['?cursor=zzz', 'cursor'],
    ] as const) {
      const res = await s.request('GET', `/v1/webhooks/${created.id}/deliveries${query}`, {
        token: s.creds.apiKey,
      });
      expect(res.status, query).toBe(400);
      expect(res.json.error.field).toBe(field);
    }
    const missing = await s.request('GET', '/v1/webhooks/wh_nope/deliveries', { token: s.creds.apiKey });
    expect(missing.status).toBe(404);
    expect((await s.request('GET', '/v1/webhooks')).status).toBe(401);
    const unchanged = await s.request('GET', `/v1/webhooks/${created.id}`, { token: s.creds.apiKey });
    expect(unchanged.json).toMatchObject({ url: 'https://example.com/h', eventTypes: null, enabled: true });
  });

  it('describes the webhook routes in the OpenAPI document', async () => {
    const doc = (await s.request('GET', '/openapi.json')).json;
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/v1/webhooks',
        '/v1/webhooks/{id}',
        '/v1/webhooks/{id}/rotate-secret',
        '/v1/webhooks/{id}/deliveries',
      ]),
    );
  });
});

describe('the secrets key on Node', () => {
  it('is generated beside a file database on first start (0600) and read on later starts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'lifeline-key-'));
    try {
      const url = `file:${join(dir, 'sub', 'lifeline.db')}`;
      const first = await startNodeServer({ databaseUrl: url });
      const keyFile = join(dir, 'sub', 'secrets.key');
      const key = await readFile(keyFile, 'utf8');
      expect((await stat(keyFile)).mode & 0o777).toBe(0o600);
      const sealed = await first.deps.secretBox!.seal('whsec_x', 'ctx');
      await first.close();
      const second = await startNodeServer({ databaseUrl: url });
      expect(await second.deps.secretBox!.open(sealed, 'ctx')).toBe('whsec_x');
      await second.close();
      expect(await readFile(keyFile, 'utf8')).toBe(key);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('is required with a remote database, and must be 32 bytes of base64', async () => {
    const saved = process.env.SECRETS_KEY;
    delete process.env.SECRETS_KEY;
    try {
      await expect(startNodeServer({ databaseUrl: 'libsql://nowhere.invalid' })).rejects.toThrow(
        /SECRETS_KEY is required with a remote database/,
      );
      await expect(
        startNodeServer({ databaseUrl: 'file::memory:', secretsKey: 'dG9vIHNob3J0' }),
      ).rejects.toBeInstanceOf(ConfigError);
    } finally {
      if (saved !== undefined) process.env.SECRETS_KEY = saved;
    }
  });

  it('answers 503 for secret-holding webhook calls when there is no key (Workers without SECRETS_KEY)', async () => {
    const box = s.deps.secretBox;
    s.deps.secretBox = null;
    try {
      const res = await s.request('POST', '/v1/webhooks', {
        token: s.creds.apiKey,
        body: { url: 'https://example.com/h' },
      });
      expect(res.status).toBe(503);
      expect(res.json.error.code).toBe('secrets_key_missing');
      expect((await tick(s.deps, s.clock.now())).webhooks).toEqual({ delivered: 0, failed: 0, dead: 0 });
    } finally {
      s.deps.secretBox = box;
    }
  });
});
