/**
 * `smsgate` driver: SMS Gateway for Android (capcom6/android-sms-gateway) in Local mode.
 *
 * - send: POST /message with the agent's per-attempt engine id (`<messageId>-<attempt>`) as SMSGate's id
 *   (a repeated id answers 409, which means the engine already holds this attempt: accepted, never a
 *   second send; a retry of the message is a new attempt and a new id), withDeliveryReport, simNumber
 *   (1-based) and ttl.
 * - lookup: GET /message/{id}; 404 means the engine never got it.
 * - health: GET /health (200 pass/warn, 500 fail).
 * - events: webhooks for sms:sent / sms:delivered / sms:failed / sms:received, registered with fixed ids
 *   (POST /webhooks replaces a registration with the same id, so restarts do not pile them up) and
 *   pointing at this driver's own listener on 127.0.0.1. Each webhook must carry a valid X-Signature /
 *   X-Timestamp; duplicates are dropped.
 * Message text, phone numbers and secrets are never logged.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { RecentKeys } from './dedup.ts';
import type { Driver } from './driver.ts';
import {
  type DriverCapabilities,
  type DriverEvent,
  type DriverHealth,
  type LookupResult,
  SendError,
  type SendRequest,
  type Telemetry,
} from './driver.ts';
import { HttpCallError, type HttpCallResponse, httpCall } from './http-call.ts';
import {
  buildSendBody,
  failureCode,
  healthFromBody,
  lookupFromMessage,
  mapWebhook,
  parseMessage,
  parseWebhookBody,
  SMSGATE_EVENTS,
  telemetryFromHealth,
  verifyWebhookSignature,
  wasSentBeforeFailing,
} from './smsgate-protocol.ts';

export type DriverLog = (
  level: 'debug' | 'info' | 'warn' | 'error',
  message: string,
  fields?: object,
) => void;

export interface SmsGateDriverOptions {
  /** The app's Local server; default http://127.0.0.1:8080. */
  baseUrl?: string;
  /** Basic auth credentials shown on the app's Home tab. */
  username: string;
  password: string;
  /** Settings -> Webhooks -> Signing Key in the app; webhooks not signed with it are refused. */
  webhookSigningKey: string;
  /**
   * Where the driver's webhook listener binds; default 127.0.0.1:18080. Keep the port fixed: the app
   * retries an unanswered webhook to the URL it had (10 s, 20 s, 40 s... for about 2 days), so a webhook
   * sent while the agent restarts still arrives. 0 picks a free port (tests).
   */
  listenHost?: string;
  listenPort?: number;
  /** Path of the listener; default /smsgate/webhook. */
  webhookPath?: string;
  /** Prefix of the fixed webhook registration ids; default `lifeline-`. */
  webhookIdPrefix?: string;
  /** Default true: ask the carrier for delivery reports. */
  withDeliveryReport?: boolean;
  /** Per HTTP call to the app; default 10 s. */
  requestTimeoutMs?: number;
  /** Webhooks whose X-Timestamp is further than this from now are refused; default 300 s. */
  maxWebhookSkewSeconds?: number;
  /** How often to retry registering webhooks while the app is unreachable; default 30 s. */
  registerRetryMs?: number;
  /** Phone telemetry (e.g. the Termux:API reader); the app's /health fills what it leaves out. */
  telemetry?: () => Promise<Telemetry>;
  clock?: { now(): number };
  log?: DriverLog;
}

export const SMSGATE_CAPABILITIES: DriverCapabilities = {
  sentReports: true,
  deliveryReports: true,
  simChoice: true,
};

/** Codes of SendError thrown by this driver; `retryable` ones never reached the engine. */
export const SMSGATE_SEND_ERRORS = {
  ENGINE_UNREACHABLE: { retryable: true },
  ENGINE_TIMEOUT: { retryable: false },
  ENGINE_CONNECTION_LOST: { retryable: false },
  ENGINE_ERROR: { retryable: false },
  ENGINE_AUTH: { retryable: true },
  ENGINE_REJECTED: { retryable: false },
  EXPIRED: { retryable: false },
} as const;

export const DEFAULT_LISTEN_PORT = 18080;

/** Connection errors that happen before a request can have reached the app. */
const NEVER_CONNECTED = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
]);

export function createSmsGateDriver(options: SmsGateDriverOptions): Driver & {
  /** The URL the app is told to call, once started. */
  readonly webhookUrl: string | null;
  /** Registers the webhooks now (start does it, and retries in the background while the app is away). */
  registerWebhooks(): Promise<boolean>;
} {
  const baseUrl = new URL(options.baseUrl ?? 'http://127.0.0.1:8080');
  const clock = options.clock ?? { now: () => Date.now() };
  const log: DriverLog = options.log ?? (() => {});
  const timeoutMs = options.requestTimeoutMs ?? 10_000;
  const listenHost = options.listenHost ?? '127.0.0.1';
  const webhookPath = options.webhookPath ?? '/smsgate/webhook';
  const idPrefix = options.webhookIdPrefix ?? 'lifeline-';
  const maxSkew = options.maxWebhookSkewSeconds ?? 300;
  const withDeliveryReport = options.withDeliveryReport ?? true;
  const registerRetryMs = options.registerRetryMs ?? 30_000;
  const authorization = `Basic ${Buffer.from(`${options.username}:${options.password}`, 'utf8').toString('base64')}`;

  const duplicates = new RecentKeys({ ttlMs: 48 * 3600_000, maxEntries: 50_000 });
  /** Ids seen as sent, so a later sms:failed is known to be a delivery failure. */
  const sentIds = new RecentKeys({ ttlMs: 7 * 24 * 3600_000, maxEntries: 50_000 });

  let server: http.Server | null = null;
  let webhookUrl: string | null = null;
  let onEvent: ((event: DriverEvent) => void) | null = null;
  let registered = false;
  let retryTimer: NodeJS.Timeout | null = null;
  let stopped = false;

  const endpoint = (path: string) => new URL(path, baseUrl);

  const call = (method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown, auth = true) => {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (auth) headers.authorization = authorization;
    const request: Parameters<typeof httpCall>[0] = { method, url: endpoint(path), headers, timeoutMs };
    if (body !== undefined) request.body = JSON.stringify(body);
    return httpCall(request);
  };

  const json = (response: HttpCallResponse): unknown => {
    try {
      return JSON.parse(response.body);
    } catch {
      return undefined;
    }
  };

  const emit = (event: DriverEvent) => {
    if (!onEvent) return;
    try {
      onEvent(event);
    } catch (error) {
      log('error', 'smsgate: event handler threw', { type: event.type, error: String(error) });
    }
  };

  async function failureStage(id: string): Promise<'send' | 'delivery'> {
    if (sentIds.has(id, clock.now())) return 'delivery';
    try {
      const response = await call('GET', `/message/${encodeURIComponent(id)}`);
      const message = response.status === 200 ? parseMessage(json(response)) : null;
      if (message && wasSentBeforeFailing(message)) return 'delivery';
    } catch {
      // Unreachable right after calling us: the conservative answer is that it was not sent.
    }
    return 'send';
  }

  async function handleWebhook(rawBody: string, headers: http.IncomingHttpHeaders): Promise<number> {
    const header = (name: string) => {
      const value = headers[name];
      return Array.isArray(value) ? value[0] : value;
    };
    const check = verifyWebhookSignature({
      signingKey: options.webhookSigningKey,
      rawBody,
      signature: header('x-signature'),
      timestamp: header('x-timestamp'),
      nowMs: clock.now(),
      maxSkewSeconds: maxSkew,
    });
    if (!check.ok) {
      log('warn', 'smsgate: webhook refused', { reason: check.reason });
      return 401;
    }
    const hook = parseWebhookBody(rawBody);
    if (!hook) return 400;
    const mapped = mapWebhook(hook, clock.now());
    if (mapped.kind === 'ignored') {
      log('debug', 'smsgate: webhook ignored', { event: hook.event, reason: mapped.reason });
      return 200;
    }
    if (duplicates.checkAndAdd(mapped.dedupKey, clock.now())) {
      log('debug', 'smsgate: duplicate webhook dropped', { event: hook.event });
      return 200;
    }
    if (mapped.kind === 'event') {
      if (mapped.event.type === 'sent' || mapped.event.type === 'delivered') {
        sentIds.checkAndAdd(mapped.event.id, clock.now());
      }
      emit(mapped.event);
      return 200;
    }
    const stage = await failureStage(mapped.id);
    const event: DriverEvent = {
      type: 'failed',
      id: mapped.id,
      at: mapped.at,
      stage,
      errorCode: failureCode(mapped.reason),
    };
    if (mapped.reason !== undefined) event.errorMessage = mapped.reason.slice(0, 200);
    emit(event);
    return 200;
  }

  function listen(): Promise<void> {
    const srv = http.createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (req.method !== 'POST' || url.pathname !== webhookPath) {
        res.writeHead(404).end();
        req.resume();
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      let tooLarge = false;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > 256 * 1024) tooLarge = true;
        else chunks.push(chunk);
      });
      req.on('end', () => {
        if (tooLarge) {
          res.writeHead(413).end();
          return;
        }
        handleWebhook(Buffer.concat(chunks).toString('utf8'), req.headers)
          .then((status) => res.writeHead(status).end())
          .catch((error) => {
            log('error', 'smsgate: webhook handling failed', { error: String(error) });
            res.writeHead(500).end();
          });
      });
    });
    server = srv;
    return new Promise<void>((resolve, reject) => {
      srv.once('error', reject);
      srv.listen(options.listenPort ?? DEFAULT_LISTEN_PORT, listenHost, () => {
        srv.off('error', reject);
        const { port } = srv.address() as AddressInfo;
        const host = listenHost.includes(':') ? `[${listenHost}]` : listenHost;
        webhookUrl = `http://${host}:${port}${webhookPath}`;
        resolve();
      });
    });
  }

  async function registerWebhooks(): Promise<boolean> {
    if (!webhookUrl) return false;
    try {
      for (const event of SMSGATE_EVENTS) {
        const id = `${idPrefix}${event.replace(':', '-')}`;
        const response = await call('POST', '/webhooks', { id, url: webhookUrl, event });
        if (response.status !== 201 && response.status !== 200) {
          log('warn', 'smsgate: webhook registration refused', { event, status: response.status });
          registered = false;
          return false;
        }
      }
      registered = true;
      log('info', 'smsgate: webhooks registered', { events: SMSGATE_EVENTS.length });
      return true;
    } catch (error) {
      registered = false;
      log('warn', 'smsgate: webhook registration failed', {
        errno: error instanceof HttpCallError ? error.errno : String(error),
      });
      return false;
    }
  }

  function scheduleRegistration() {
    if (stopped || registered || retryTimer) return;
    retryTimer = setTimeout(async () => {
      retryTimer = null;
      if (stopped) return;
      if (!(await registerWebhooks())) scheduleRegistration();
    }, registerRetryMs);
    retryTimer.unref();
  }

  return {
    name: 'smsgate',
    capabilities: SMSGATE_CAPABILITIES,

    get webhookUrl() {
      return webhookUrl;
    },

    registerWebhooks,

    async start(handler) {
      onEvent = handler;
      stopped = false;
      if (!server) await listen();
      if (!(await registerWebhooks())) scheduleRegistration();
    },

    async stop() {
      stopped = true;
      onEvent = null;
      if (retryTimer) clearTimeout(retryTimer);
      retryTimer = null;
      const srv = server;
      server = null;
      webhookUrl = null;
      registered = false;
      if (srv) {
        await new Promise<void>((resolve) => {
          srv.close(() => resolve());
          srv.closeAllConnections();
        });
      }
    },

    async send(request: SendRequest) {
      const built = buildSendBody(request, clock.now(), withDeliveryReport);
      if (!built.ok) throw new SendError('EXPIRED', 'the message expired before it was handed over', false);
      let response: HttpCallResponse;
      try {
        response = await call('POST', '/message', built.body);
      } catch (error) {
        if (error instanceof HttpCallError) {
          if (!error.connected || NEVER_CONNECTED.has(error.errno)) {
            throw new SendError('ENGINE_UNREACHABLE', `SMSGate unreachable (${error.errno})`, false);
          }
          if (error.errno === 'ETIMEDOUT') {
            throw new SendError('ENGINE_TIMEOUT', 'SMSGate did not answer in time', 'maybe');
          }
          throw new SendError(
            'ENGINE_CONNECTION_LOST',
            `connection to SMSGate lost (${error.errno})`,
            'maybe',
          );
        }
        throw new SendError('ENGINE_CONNECTION_LOST', 'request to SMSGate failed', 'maybe');
      }
      const { status } = response;
      if (status === 202 || status === 200 || status === 201) return;
      if (status === 409) {
        // SMSGate's duplicate guard: it already holds this id. Accepted, and not sent a second time.
        log('info', 'smsgate: engine already had the message', { id: request.id });
        return;
      }
      if (status === 401 || status === 403) {
        throw new SendError('ENGINE_AUTH', `SMSGate refused the credentials (${status})`, false);
      }
      if (status >= 400 && status < 500) {
        const body = json(response);
        const reason =
          typeof body === 'object' &&
          body !== null &&
          typeof (body as { message?: unknown }).message === 'string'
            ? (body as { message: string }).message.slice(0, 200)
            : `HTTP ${status}`;
        throw new SendError('ENGINE_REJECTED', `SMSGate rejected the message: ${reason}`, false);
      }
      // A 5xx may come after the app stored the message: ask lookup before deciding.
      throw new SendError('ENGINE_ERROR', `SMSGate answered ${status}`, 'maybe');
    },

    async lookup(id: string): Promise<LookupResult> {
      let response: HttpCallResponse;
      try {
        response = await call('GET', `/message/${encodeURIComponent(id)}`);
      } catch (error) {
        const errno = error instanceof HttpCallError ? error.errno : 'error';
        return { known: 'cannot_tell', reason: `SMSGate unreachable (${errno})` };
      }
      if (response.status === 404) return { known: false };
      if (response.status !== 200) {
        return { known: 'cannot_tell', reason: `SMSGate answered ${response.status}` };
      }
      const message = parseMessage(json(response));
      if (!message) return { known: 'cannot_tell', reason: 'SMSGate answered an unreadable message' };
      if (message.state === 'Sent' || message.state === 'Delivered') sentIds.checkAndAdd(id, clock.now());
      return lookupFromMessage(message, clock.now());
    },

    async health(): Promise<DriverHealth> {
      let result: DriverHealth;
      try {
        const response = await call('GET', '/health', undefined, false);
        result = healthFromBody(json(response), response.status);
      } catch (error) {
        const errno = error instanceof HttpCallError ? error.errno : 'error';
        return {
          status: 'fail',
          checks: { engine: { status: 'fail', detail: `SMSGate unreachable (${errno})` } },
        };
      }
      result.checks.webhooks = registered
        ? { status: 'pass' }
        : { status: 'warn', detail: 'webhooks not registered with SMSGate yet' };
      if (!registered && result.status === 'pass') result.status = 'warn';
      return result;
    },

    async telemetry(): Promise<Telemetry> {
      const [fromPhone, fromHealth] = await Promise.all([
        options.telemetry
          ? options.telemetry().catch(() => ({}) as Telemetry)
          : Promise.resolve({} as Telemetry),
        call('GET', '/health', undefined, false)
          .then((response) => telemetryFromHealth(json(response)))
          .catch(() => ({}) as Telemetry),
      ]);
      const merged: Telemetry = { ...fromHealth, ...fromPhone };
      return merged;
    },
  };
}
