/**
 * A local stand-in for SMS Gateway for Android's Local server, as its source and documentation describe it:
 * - Basic auth on everything but /health; 401 with a WWW-Authenticate challenge otherwise.
 * - POST /message and /messages: exactly one of textMessage / message; phoneNumbers non-empty; simNumber
 *   >= 1; ttl and validUntil exclusive; an expired message refused; 202 with the message (state Pending).
 *   A repeated id answers 409 "Message with the same ID already exists".
 * - GET /message/{id}: the message with its per-recipient states and the `states` timestamp map; 404.
 * - GET /health: {status, version, releaseId, checks}; 500 when the status is fail.
 * - POST /webhooks {id?, url, event} replaces by id (201); GET lists; DELETE /webhooks/{id} 204.
 * - Webhooks: POST {deviceId, event, id, payload, webhookId} with X-Signature = hex HMAC-SHA256(body +
 *   X-Timestamp) and X-Timestamp in Unix seconds, exactly as the app's PayloadSigningPlugin does.
 * Knobs reproduce the documented and known misbehaviours: duplicate and late webhooks, a failing /health,
 * the app dying in the middle of a send, and being down altogether.
 */
import { createHmac, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type FakeState = 'Pending' | 'Processed' | 'Sent' | 'Delivered' | 'Failed';
export type FakeEvent = 'sms:sent' | 'sms:delivered' | 'sms:failed' | 'sms:received' | 'system:ping';

export interface FakeMessage {
  id: string;
  text: string;
  phoneNumbers: string[];
  simNumber: number | null;
  withDeliveryReport: boolean;
  validUntil: number | null;
  state: FakeState;
  recipients: { phoneNumber: string; state: FakeState; error: string | null }[];
  states: Partial<Record<FakeState, string>>;
}

export interface RecordedRequest {
  method: string;
  path: string;
  authorized: boolean;
  body: unknown;
}

export interface WebhookDelivery {
  event: FakeEvent;
  url: string;
  status: number | 'error';
  body: string;
}

export type Death =
  /** Stores the message, then destroys the connection without answering. */
  | 'drop-after-accept'
  /** Stores the message, then never answers (the socket stays open). */
  | 'hang-after-accept'
  /** Destroys the connection before reading the request: the message is not stored. */
  | 'drop-before-accept';

export interface FakeSmsGateOptions {
  username?: string;
  password?: string;
  signingKey?: string;
  deviceId?: string;
}

const EVENTS: readonly FakeEvent[] = [
  'sms:sent',
  'sms:delivered',
  'sms:failed',
  'sms:received',
  'system:ping',
];

function nanoid(): string {
  return randomBytes(16).toString('base64url').slice(0, 21);
}

export class FakeSmsGate {
  readonly username: string;
  readonly password: string;
  signingKey: string;
  readonly deviceId: string;

  readonly messages = new Map<string, FakeMessage>();
  readonly webhooks = new Map<string, { id: string; url: string; event: FakeEvent }>();
  readonly requests: RecordedRequest[] = [];
  readonly deliveries: WebhookDelivery[] = [];

  /** Knobs. */
  healthStatus: 'pass' | 'warn' | 'fail' = 'pass';
  /** Each webhook is sent this many times (SMSGate is known to repeat them). */
  webhookCopies = 1;
  /** Each webhook waits this long before it is sent (late webhooks). */
  webhookDelayMs = 0;
  /** Retries of a webhook the agent did not acknowledge with 2xx (or could not be reached), in order. */
  webhookRetryDelaysMs: number[] = [];
  /** How webhooks are signed: correctly, with a wrong key, without headers, or with an old timestamp. */
  signing: 'correct' | 'wrong-key' | 'unsigned' | 'stale' = 'correct';
  /** What happens to the next POST /message. */
  nextSendDies: Death | null = null;
  /** Battery and transport reported by /health. */
  battery = { level: 94, charging: 4 };
  transport = 4;

  private server: http.Server | null = null;
  private readonly sockets = new Set<Socket>();
  private readonly pending = new Set<Promise<void>>();
  private port = 0;

  constructor(options: FakeSmsGateOptions = {}) {
    this.username = options.username ?? 'sms';
    this.password = options.password ?? 'fake-password';
    this.signingKey = options.signingKey ?? 'fake-signing-key';
    this.deviceId = options.deviceId ?? 'ffffffffceb0b1db0000018e937c815b';
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Starts (or restarts on the same port after `kill`). */
  async start(): Promise<string> {
    const server = http.createServer((req, res) => this.handle(req, res));
    server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    return this.baseUrl;
  }

  /** The app dies: the port stops answering (connection refused) and open connections are cut. */
  async kill(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (!server) return;
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  async stop(): Promise<void> {
    await this.settled();
    await this.kill();
  }

  /** Waits for every webhook in flight (including delayed ones). */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  // ---- driving the message lifecycle, as Android would ----

  markSent(id: string, options: { parts?: number } = {}): void {
    const message = this.require(id);
    this.transition(message, 'Processed');
    this.transition(message, 'Sent');
    for (const r of message.recipients) {
      this.fire('sms:sent', {
        messageId: id,
        phoneNumber: r.phoneNumber,
        simNumber: message.simNumber,
        partsCount: options.parts ?? 1,
        sentAt: new Date().toISOString(),
      });
    }
  }

  markDelivered(id: string, options: { parts?: number } = {}): void {
    const message = this.require(id);
    this.transition(message, 'Delivered');
    for (const r of message.recipients) {
      // One sms:delivered per part, as the app documents for multipart messages.
      for (let part = 0; part < (options.parts ?? 1); part++) {
        this.fire('sms:delivered', {
          messageId: id,
          phoneNumber: r.phoneNumber,
          simNumber: message.simNumber,
          deliveredAt: new Date().toISOString(),
        });
      }
    }
  }

  markFailed(id: string, reason: string): void {
    const message = this.require(id);
    this.transition(message, 'Failed', reason);
    for (const r of message.recipients) {
      this.fire('sms:failed', {
        messageId: id,
        phoneNumber: r.phoneNumber,
        simNumber: message.simNumber,
        failedAt: new Date().toISOString(),
        reason,
      });
    }
  }

  receive(from: string, text: string, simNumber: number | null = 1): void {
    this.fire('sms:received', {
      messageId: createHmac('sha256', 'content').update(text).digest('hex').slice(0, 12),
      message: text,
      phoneNumber: from,
      simNumber,
      receivedAt: new Date().toISOString(),
    });
  }

  /** Sends an arbitrary signed (or not) raw body to every webhook of `event`. */
  fireRaw(event: FakeEvent, rawBody: string, headers: Record<string, string>): void {
    for (const hook of this.webhooks.values()) {
      if (hook.event !== event) continue;
      this.track(this.post(hook.url, event, rawBody, headers).then(() => {}));
    }
  }

  sign(rawBody: string, timestamp: string, key = this.signingKey): string {
    return createHmac('sha256', key)
      .update(rawBody + timestamp)
      .digest('hex');
  }

  // ---- internals ----

  private require(id: string): FakeMessage {
    const message = this.messages.get(id);
    if (!message) throw new Error(`fake SMSGate: no message ${id}`);
    return message;
  }

  private transition(message: FakeMessage, state: FakeState, error: string | null = null): void {
    message.state = state;
    message.states[state] = new Date().toISOString();
    for (const r of message.recipients) {
      r.state = state;
      if (error) r.error = error;
    }
  }

  private fire(event: FakeEvent, payload: Record<string, unknown>): void {
    for (const hook of this.webhooks.values()) {
      if (hook.event !== event) continue;
      const body = JSON.stringify({
        deviceId: this.deviceId,
        event,
        id: nanoid(),
        payload,
        webhookId: hook.id,
      });
      for (let copy = 0; copy < this.webhookCopies; copy++) {
        this.track(this.deliver(hook.url, event, body));
      }
    }
  }

  /** Signs and posts a webhook, retrying a non-2xx answer after each of `webhookRetryDelaysMs` (the app
   * retries with exponential backoff from 10 s; each attempt is signed afresh). */
  private async deliver(url: string, event: FakeEvent, body: string): Promise<void> {
    if (this.webhookDelayMs > 0) await new Promise((r) => setTimeout(r, this.webhookDelayMs));
    const delays = [...this.webhookRetryDelaysMs];
    for (;;) {
      const now = Math.floor(Date.now() / 1000);
      const timestamp = String(this.signing === 'stale' ? now - 3600 : now);
      const headers: Record<string, string> = {};
      if (this.signing !== 'unsigned') {
        headers['X-Timestamp'] = timestamp;
        headers['X-Signature'] = this.sign(
          body,
          timestamp,
          this.signing === 'wrong-key' ? 'not-the-key' : this.signingKey,
        );
      }
      const status = await this.post(url, event, body, headers);
      const delay = delays.shift();
      if ((typeof status === 'number' && status >= 200 && status < 300) || delay === undefined) return;
      await new Promise((r) => setTimeout(r, delay));
    }
  }

  private async post(
    url: string,
    event: FakeEvent,
    body: string,
    headers: Record<string, string>,
  ): Promise<number | 'error'> {
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json; charset=UTF-8', ...headers },
        body,
      });
      await response.arrayBuffer();
      this.deliveries.push({ event, url, status: response.status, body });
      return response.status;
    } catch {
      this.deliveries.push({ event, url, status: 'error', body });
      return 'error';
    }
  }

  private track(promise: Promise<void>): void {
    this.pending.add(promise);
    promise.finally(() => this.pending.delete(promise));
  }

  private authorized(req: http.IncomingMessage): boolean {
    const expected = `Basic ${Buffer.from(`${this.username}:${this.password}`).toString('base64')}`;
    return req.headers.authorization === expected;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://device');
    const path = url.pathname.replace(/\/+$/, '') || '/';

    if (req.method === 'POST' && /^\/messages?$/.test(path) && this.nextSendDies === 'drop-before-accept') {
      this.nextSendDies = null;
      req.socket.destroy();
      return;
    }

    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown;
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {
        body = Symbol.for('invalid');
      }
      const authorized = this.authorized(req);
      this.requests.push({ method: req.method ?? '', path, authorized, body });
      const send = (status: number, payload?: unknown) => {
        const text = payload === undefined ? '' : JSON.stringify(payload);
        res.writeHead(status, payload === undefined ? {} : { 'Content-Type': 'application/json' });
        res.end(text);
      };

      if (req.method === 'GET' && path === '/health') return this.health(send);
      if (!authorized) {
        res.writeHead(401, { 'WWW-Authenticate': 'Basic realm="Access to SMS Gateway", charset="UTF-8"' });
        res.end();
        return;
      }
      if (body === Symbol.for('invalid')) return send(400, { message: 'Invalid JSON' });

      if (req.method === 'POST' && /^\/messages?$/.test(path)) return this.postMessage(body, req, send);
      const byId = path.match(/^\/messages?\/([^/]+)$/);
      if (req.method === 'GET' && byId) {
        const message = this.messages.get(decodeURIComponent(byId[1]!));
        if (!message) return send(404);
        return send(200, this.view(message));
      }
      if (path === '/webhooks' || path === '/webhook') {
        if (req.method === 'GET') return send(200, [...this.webhooks.values()]);
        if (req.method === 'POST') return this.postWebhook(body, send);
      }
      const hookId = path.match(/^\/webhooks?\/([^/]+)$/);
      if (req.method === 'DELETE' && hookId) {
        this.webhooks.delete(decodeURIComponent(hookId[1]!));
        return send(204);
      }
      send(404);
    });
  }

  private health(send: (status: number, payload?: unknown) => void): void {
    const s = this.healthStatus;
    send(s === 'fail' ? 500 : 200, {
      status: s,
      version: '1.40.0',
      releaseId: 140,
      checks: {
        'messages:failed': {
          description: 'Failed messages for last hour',
          observedUnit: 'messages',
          observedValue: s === 'pass' ? 0 : 3,
          status: s,
        },
        'connection:status': {
          description: 'Internet connection status',
          observedUnit: 'Yes/No',
          observedValue: this.transport === 0 ? 0 : 1,
          status: this.transport === 0 ? 'fail' : 'pass',
        },
        'connection:transport': {
          description: 'Network transport type',
          observedUnit: 'flags',
          observedValue: this.transport,
          status: 'pass',
        },
        'battery:level': {
          description: 'Battery level in percent',
          observedUnit: 'percent',
          observedValue: this.battery.level,
          status: this.battery.level < 10 ? 'fail' : this.battery.level < 25 ? 'warn' : 'pass',
        },
        'battery:charging': {
          description: 'Is the phone charging?',
          observedUnit: 'flags',
          observedValue: this.battery.charging,
          status: 'pass',
        },
      },
    });
  }

  private postMessage(
    body: unknown,
    req: http.IncomingMessage,
    send: (status: number, payload?: unknown) => void,
  ) {
    const bad = (message: string) => send(400, { message });
    if (typeof body !== 'object' || body === null) return bad('Invalid request');
    const b = body as Record<string, unknown>;
    const textMessage = b.textMessage as { text?: unknown } | undefined;
    const types = [b.textMessage, b.dataMessage, b.message].filter((v) => v !== undefined && v !== null);
    if (types.length === 0) return bad('Must specify exactly one of: textMessage, dataMessage, or message');
    if (types.length > 1) return bad('Cannot specify multiple message types simultaneously');
    const text = typeof b.message === 'string' ? b.message : textMessage?.text;
    if (typeof text !== 'string' || text.length === 0) return bad('Text message is empty');
    if (!Array.isArray(b.phoneNumbers) || b.phoneNumbers.length === 0) return bad('phoneNumbers is empty');
    // Phone numbers must be E.164-compatible unless ?skipPhoneValidation=true (the app's default check).
    const skipValidation =
      new URL(req.url ?? '/', 'http://device').searchParams.get('skipPhoneValidation') === 'true';
    if (
      !skipValidation &&
      !b.phoneNumbers.every((n) => typeof n === 'string' && /^\+?[1-9]\d{4,14}$/.test(n))
    ) {
      return bad('Invalid phone number');
    }
    if (
      b.simNumber !== undefined &&
      b.simNumber !== null &&
      (typeof b.simNumber !== 'number' || b.simNumber < 1)
    ) {
      return bad('simNumber must be >= 1');
    }
    if (b.ttl !== undefined && b.validUntil !== undefined) return bad('fields conflict: ttl and validUntil');
    const validUntil =
      typeof b.ttl === 'number'
        ? Date.now() + b.ttl * 1000
        : typeof b.validUntil === 'string'
          ? Date.parse(b.validUntil)
          : null;
    if (validUntil !== null && validUntil < Date.now()) return bad('message already expired');
    const id = typeof b.id === 'string' && b.id ? b.id : nanoid();
    if (this.messages.has(id)) return send(409, { message: 'Message with the same ID already exists' });

    const now = new Date().toISOString();
    const phoneNumbers = b.phoneNumbers.map(String);
    const message: FakeMessage = {
      id,
      text,
      phoneNumbers,
      simNumber: typeof b.simNumber === 'number' ? b.simNumber : null,
      withDeliveryReport: b.withDeliveryReport !== false,
      validUntil,
      state: 'Pending',
      recipients: phoneNumbers.map((phoneNumber) => ({ phoneNumber, state: 'Pending', error: null })),
      states: { Pending: now },
    };
    this.messages.set(id, message);

    const death = this.nextSendDies;
    this.nextSendDies = null;
    if (death === 'drop-after-accept') {
      req.socket.destroy();
      return;
    }
    if (death === 'hang-after-accept') return;
    send(202, this.view(message));
  }

  private postWebhook(body: unknown, send: (status: number, payload?: unknown) => void) {
    if (typeof body !== 'object' || body === null) return send(400, { message: 'Invalid request' });
    const b = body as Record<string, unknown>;
    if (typeof b.url !== 'string' || !b.url) return send(400, { message: 'url is required' });
    if (typeof b.event !== 'string' || !EVENTS.includes(b.event as FakeEvent)) {
      return send(400, { message: 'Invalid event type' });
    }
    let parsed: URL;
    try {
      parsed = new URL(b.url);
    } catch {
      return send(400, { message: 'Invalid URL' });
    }
    // The app only allows cleartext webhooks to the loopback address.
    if (parsed.protocol !== 'https:' && parsed.hostname !== '127.0.0.1') {
      return send(400, { message: 'Only HTTPS URLs are allowed, except for 127.0.0.1' });
    }
    const id = typeof b.id === 'string' && b.id ? b.id : nanoid();
    const hook = { id, url: b.url, event: b.event as FakeEvent };
    this.webhooks.set(id, hook);
    send(201, { ...hook, deviceId: this.deviceId, source: 'Local' });
  }

  private view(message: FakeMessage) {
    return {
      id: message.id,
      deviceId: this.deviceId,
      state: message.state,
      isHashed: false,
      isEncrypted: false,
      recipients: message.recipients.map((r) => ({ ...r })),
      states: { ...message.states },
    };
  }
}
