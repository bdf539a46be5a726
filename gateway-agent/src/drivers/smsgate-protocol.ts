/**
 * Pure parts of the SMSGate (capcom6/android-sms-gateway) Local-mode protocol: request bodies, webhook
 * signatures, webhook payload -> driver event, message state -> lookup answer, health -> driver health.
 * No I/O here, so every rule is tested with plain values.
 *
 * Source of truth: the app's Local server (`MessagesRoutes.kt`, `WebhooksRoutes.kt`,
 * `PayloadSingingPlugin.kt`) and its documentation (docs.sms-gate.app: Sending Messages, Status Tracking,
 * Webhooks, Healthcheck).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type {
  CheckStatus,
  DriverEvent,
  DriverHealth,
  LookupResult,
  SendRequest,
  Telemetry,
} from './driver.ts';

/** The webhook events the driver registers (one registration per event, as the app requires). */
export const SMSGATE_EVENTS = ['sms:sent', 'sms:delivered', 'sms:failed', 'sms:received'] as const;
export type SmsGateEvent = (typeof SMSGATE_EVENTS)[number];

/** `ProcessingState` of the app: per message and per recipient. */
export type SmsGateState = 'Pending' | 'Processed' | 'Sent' | 'Delivered' | 'Failed';

export interface SmsGateSendBody {
  id: string;
  textMessage: { text: string };
  phoneNumbers: string[];
  withDeliveryReport: boolean;
  /** 1-based in SMSGate; absent means the app's default SIM (or its rotation setting). */
  simNumber?: number;
  /** Seconds; SMSGate turns it into `validUntil` and fails the message when it passes. */
  ttl?: number;
}

export type BuildSendBodyResult = { ok: true; body: SmsGateSendBody } | { ok: false; reason: 'expired' };

/** The POST /message body for a request; refuses to build one for a message that has already expired. */
export function buildSendBody(
  request: SendRequest,
  nowMs: number,
  withDeliveryReport: boolean,
): BuildSendBodyResult {
  const ttlSeconds = Math.floor((request.expiresAt - nowMs) / 1000);
  if (ttlSeconds < 1) return { ok: false, reason: 'expired' };
  const body: SmsGateSendBody = {
    id: request.id,
    textMessage: { text: request.text },
    phoneNumbers: [request.to],
    withDeliveryReport,
    ttl: ttlSeconds,
  };
  if (request.simSlot !== null) body.simNumber = request.simSlot + 1;
  return { ok: true, body };
}

/** X-Signature as SMSGate computes it: hex HMAC-SHA256 over the raw body followed by X-Timestamp. */
export function signWebhook(signingKey: string, rawBody: string, timestamp: string): string {
  return createHmac('sha256', signingKey)
    .update(rawBody + timestamp, 'utf8')
    .digest('hex');
}

export type SignatureCheck =
  | { ok: true }
  | { ok: false; reason: 'missing_headers' | 'bad_timestamp' | 'stale_timestamp' | 'bad_signature' };

/**
 * Verifies a webhook: both headers present, the timestamp (Unix seconds) within `maxSkewSeconds` of now,
 * and the signature equal in constant time.
 */
export function verifyWebhookSignature(input: {
  signingKey: string;
  rawBody: string;
  signature: string | undefined;
  timestamp: string | undefined;
  nowMs: number;
  maxSkewSeconds: number;
}): SignatureCheck {
  const { signature, timestamp } = input;
  if (!signature || !timestamp) return { ok: false, reason: 'missing_headers' };
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, reason: 'bad_timestamp' };
  const skew = Math.abs(input.nowMs / 1000 - Number(timestamp));
  if (skew > input.maxSkewSeconds) return { ok: false, reason: 'stale_timestamp' };
  const expected = Buffer.from(signWebhook(input.signingKey, input.rawBody, timestamp), 'utf8');
  const given = Buffer.from(signature.trim().toLowerCase(), 'utf8');
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) {
    return { ok: false, reason: 'bad_signature' };
  }
  return { ok: true };
}

/** The webhook envelope the app POSTs. */
export interface SmsGateWebhook {
  id?: string;
  webhookId?: string;
  deviceId?: string;
  event: string;
  payload: Record<string, unknown>;
}

export function parseWebhookBody(rawBody: string): SmsGateWebhook | null {
  let value: unknown;
  try {
    value = JSON.parse(rawBody);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const record = value as Record<string, unknown>;
  if (typeof record.event !== 'string') return null;
  const payload = record.payload;
  if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) return null;
  const result: SmsGateWebhook = { event: record.event, payload: payload as Record<string, unknown> };
  if (typeof record.id === 'string') result.id = record.id;
  if (typeof record.webhookId === 'string') result.webhookId = record.webhookId;
  if (typeof record.deviceId === 'string') result.deviceId = record.deviceId;
  return result;
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** SMSGate timestamps are ISO 8601 in the phone's zone (`2024-06-22T15:46:11.000+07:00`). */
export function parseSmsGateTime(value: unknown, fallbackMs: number): number {
  if (typeof value !== 'string') return fallbackMs;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : fallbackMs;
}

/**
 * A webhook as a driver event, before the send/delivery distinction of failures is settled.
 * `failed` carries no stage yet: the driver decides it from whether the message was sent before.
 */
export type MappedWebhook =
  | { kind: 'event'; event: Exclude<DriverEvent, { type: 'failed' }>; dedupKey: string }
  | {
      kind: 'failed';
      id: string;
      at: number;
      reason: string | undefined;
      dedupKey: string;
    }
  | { kind: 'ignored'; reason: string };

export function mapWebhook(hook: SmsGateWebhook, nowMs: number): MappedWebhook {
  const p = hook.payload;
  const messageId = str(p.messageId);
  const phone = str(p.phoneNumber) ?? '';
  switch (hook.event) {
    case 'sms:sent': {
      if (!messageId) return { kind: 'ignored', reason: 'no messageId' };
      const event: DriverEvent = { type: 'sent', id: messageId, at: parseSmsGateTime(p.sentAt, nowMs) };
      if (typeof p.partsCount === 'number' && Number.isInteger(p.partsCount) && p.partsCount > 0) {
        event.parts = p.partsCount;
      }
      return { kind: 'event', event, dedupKey: `sent|${messageId}|${phone}` };
    }
    case 'sms:delivered': {
      if (!messageId) return { kind: 'ignored', reason: 'no messageId' };
      // A multipart message yields one sms:delivered per part; the first one is the delivery.
      return {
        kind: 'event',
        event: { type: 'delivered', id: messageId, at: parseSmsGateTime(p.deliveredAt, nowMs) },
        dedupKey: `delivered|${messageId}|${phone}`,
      };
    }
    case 'sms:failed': {
      if (!messageId) return { kind: 'ignored', reason: 'no messageId' };
      return {
        kind: 'failed',
        id: messageId,
        at: parseSmsGateTime(p.failedAt, nowMs),
        reason: str(p.reason),
        dedupKey: `failed|${messageId}|${phone}`,
      };
    }
    case 'sms:received': {
      const text = typeof p.message === 'string' ? p.message : undefined;
      if (text === undefined || !phone) return { kind: 'ignored', reason: 'no message or phoneNumber' };
      const at = parseSmsGateTime(p.receivedAt, nowMs);
      const event: DriverEvent = { type: 'received', from: phone, text, at };
      if (typeof p.simNumber === 'number' && Number.isInteger(p.simNumber) && p.simNumber >= 1) {
        event.simSlot = p.simNumber - 1;
      }
      // The app's messageId for incoming SMS is a content hash and not unique; sender + time + it is.
      return {
        kind: 'event',
        event,
        dedupKey: `received|${str(p.messageId) ?? ''}|${phone}|${String(p.receivedAt ?? '')}`,
      };
    }
    default:
      return { kind: 'ignored', reason: 'event not handled' };
  }
}

/** A stable, short error code from SMSGate's free-text failure reason (the text itself is kept apart). */
export function failureCode(reason: string | undefined): string {
  if (!reason) return 'SMSGATE_FAILED';
  const known = reason.match(/RESULT_[A-Z_]+/);
  if (known) return known[0];
  if (/ttl|expired|valid ?until/i.test(reason)) return 'SMSGATE_EXPIRED';
  if (/invalid.*(number|phone)|phone.*invalid/i.test(reason)) return 'SMSGATE_INVALID_NUMBER';
  return 'SMSGATE_FAILED';
}

/** GET /message/{id} response (the parts the driver reads). */
export interface SmsGateMessage {
  id: string;
  state: SmsGateState;
  recipients?: { phoneNumber: string; state: SmsGateState; error?: string | null }[];
  states?: Partial<Record<SmsGateState, string>>;
}

export function parseMessage(value: unknown): SmsGateMessage | null {
  if (typeof value !== 'object' || value === null) return null;
  const record = value as Record<string, unknown>;
  const states: readonly string[] = ['Pending', 'Processed', 'Sent', 'Delivered', 'Failed'];
  if (typeof record.id !== 'string' || typeof record.state !== 'string' || !states.includes(record.state)) {
    return null;
  }
  return value as SmsGateMessage;
}

/** What the engine knows of a message, as a lookup answer. */
export function lookupFromMessage(message: SmsGateMessage, nowMs: number): LookupResult {
  const at = (state: SmsGateState) => {
    const value = message.states?.[state];
    return value === undefined ? undefined : parseSmsGateTime(value, nowMs);
  };
  const withAt = (result: LookupResult & { known: true }, when: number | undefined): LookupResult => {
    if (when !== undefined) result.at = when;
    return result;
  };
  switch (message.state) {
    case 'Pending':
    case 'Processed':
      return withAt({ known: true, state: 'pending' }, at(message.state));
    case 'Sent':
      return withAt({ known: true, state: 'sent' }, at('Sent'));
    case 'Delivered':
      return withAt({ known: true, state: 'delivered' }, at('Delivered'));
    case 'Failed': {
      const reason = message.recipients?.find((r) => r.state === 'Failed' && r.error)?.error ?? undefined;
      return withAt({ known: true, state: 'failed', errorCode: failureCode(reason) }, at('Failed'));
    }
  }
}

/** Whether a message had left the phone before it failed (the failure is then a delivery failure). */
export function wasSentBeforeFailing(message: SmsGateMessage): boolean {
  return message.states?.Sent !== undefined || message.states?.Delivered !== undefined;
}

function checkStatus(value: unknown): CheckStatus {
  return value === 'pass' || value === 'warn' || value === 'fail' ? value : 'warn';
}

/** GET /health body -> driver health (`checks` keep the app's names, e.g. `battery:level`). */
export function healthFromBody(body: unknown, httpStatus: number): DriverHealth {
  if (typeof body !== 'object' || body === null) {
    return {
      status: 'fail',
      checks: { engine: { status: 'fail', detail: `health answered ${httpStatus} without JSON` } },
    };
  }
  const record = body as Record<string, unknown>;
  const checks: DriverHealth['checks'] = {};
  if (typeof record.checks === 'object' && record.checks !== null) {
    for (const [name, raw] of Object.entries(record.checks as Record<string, unknown>)) {
      if (typeof raw !== 'object' || raw === null) continue;
      const c = raw as Record<string, unknown>;
      const detail = [
        typeof c.description === 'string' ? c.description : undefined,
        c.observedValue !== undefined
          ? `${String(c.observedValue)}${typeof c.observedUnit === 'string' ? ` ${c.observedUnit}` : ''}`
          : undefined,
      ]
        .filter(Boolean)
        .join(': ');
      checks[name] = detail ? { status: checkStatus(c.status), detail } : { status: checkStatus(c.status) };
    }
  }
  // The app answers 500 when its status is fail; trust the body, but a 5xx without a status is a failure.
  const status =
    record.status !== undefined ? checkStatus(record.status) : httpStatus >= 500 ? 'fail' : 'warn';
  return { status, checks };
}

/** What /health tells about the phone (battery, transport), for when Termux:API is not available. */
export function telemetryFromHealth(body: unknown): Telemetry {
  const telemetry: Telemetry = {};
  if (typeof body !== 'object' || body === null) return telemetry;
  const checks = (body as Record<string, unknown>).checks;
  if (typeof checks !== 'object' || checks === null) return telemetry;
  const value = (name: string): number | undefined => {
    const c = (checks as Record<string, unknown>)[name];
    if (typeof c !== 'object' || c === null) return undefined;
    const v = (c as Record<string, unknown>).observedValue;
    return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
  };
  const level = value('battery:level');
  const charging = value('battery:charging');
  if (level !== undefined) {
    // battery:charging is a bit field: 1 charging, 2 AC, 4 USB.
    telemetry.battery = { percent: level, charging: charging !== undefined && charging > 0 };
  }
  const connected = value('connection:status');
  const transport = value('connection:transport');
  if (connected !== undefined || transport !== undefined) {
    const type =
      connected === 0 || transport === 0
        ? 'none'
        : transport === undefined
          ? 'unknown'
          : transport & 4
            ? 'wifi'
            : transport & 8
              ? 'ethernet'
              : transport & 2
                ? 'cellular'
                : 'unknown';
    telemetry.network = connected === undefined ? { type } : { type, connected: connected === 1 };
  }
  return telemetry;
}
