/**
 * The agent's side of Lifeline's device API (fetch, with timeouts). Three kinds of failure, so the caller
 * can tell them apart:
 * - `AuthError`: the token was refused (401 revoked/unknown, 403 paused): retrying will not help;
 * - `ApiError`: any other 4xx (a bug on our side; the answer is logged, the request not repeated);
 * - `TransientError`: network down, timeout, 5xx, 429: retry later with backoff.
 */

import type {
  HeartbeatBody,
  InboundResult,
  InboundSms,
  LeasedMessage,
  Receipt,
  ReceiptResult,
} from '@lifeline/monitor/contract';
import { type HttpResponse, httpRequest } from './http.ts';

export const MAX_RECEIPTS_PER_BATCH = 500;

export class AuthError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'AuthError';
    this.status = status;
    this.code = code;
  }
  /** A paused device may be resumed by an admin; a revoked or unknown token never works again. */
  get paused(): boolean {
    return this.status === 403 && this.code === 'device_paused';
  }
}

export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

export class TransientError extends Error {
  readonly status: number | null;
  constructor(message: string, status: number | null = null) {
    super(message);
    this.name = 'TransientError';
    this.status = status;
  }
}

export interface HeartbeatAck {
  serverTime: number;
  heartbeatIntervalS: number;
  clockSkewMs: number;
}

export interface EnrollResult {
  deviceId: string;
  workspaceId: string;
  name: string;
  token: string;
  heartbeatIntervalS: number;
}

export interface ServerClientOptions {
  url: string;
  token: string;
  /** Per-request timeout for everything but the long poll (default 15 s). */
  timeoutMs?: number;
  userAgent?: string;
}

function errorOf(res: HttpResponse): { code: string; message: string } {
  try {
    const body = JSON.parse(res.text) as { error?: { code?: string; message?: string } };
    return {
      code: body.error?.code ?? `http_${res.status}`,
      message: body.error?.message ?? res.text.slice(0, 200),
    };
  } catch {
    return { code: `http_${res.status}`, message: res.text.slice(0, 200) || `HTTP ${res.status}` };
  }
}

interface CallInit {
  method: string;
  headers: Record<string, string>;
  body?: string;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

async function call(url: string, init: CallInit): Promise<HttpResponse> {
  let res: HttpResponse;
  try {
    res = await httpRequest(url, init);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new TransientError(`${init.method} ${new URL(url).pathname}: ${reason}`);
  }
  if (res.status >= 200 && res.status < 300) return res;
  const { code, message } = errorOf(res);
  if (res.status === 401 || res.status === 403) throw new AuthError(res.status, code, message);
  if (res.status >= 500 || res.status === 429 || res.status === 408)
    throw new TransientError(`${res.status} ${code}: ${message}`, res.status);
  throw new ApiError(res.status, code, message);
}

function json<T>(res: HttpResponse): T {
  return JSON.parse(res.text) as T;
}

export class ServerClient {
  readonly url: string;
  readonly #token: string;
  readonly #timeoutMs: number;
  readonly #headers: Record<string, string>;

  constructor(options: ServerClientOptions) {
    this.url = options.url.replace(/\/+$/, '');
    this.#token = options.token;
    this.#timeoutMs = options.timeoutMs ?? 15_000;
    this.#headers = {
      authorization: `Bearer ${this.#token}`,
      'user-agent': options.userAgent ?? 'lifeline-agent',
    };
  }

  async heartbeat(body: HeartbeatBody, signal?: AbortSignal): Promise<HeartbeatAck> {
    const res = await call(`${this.url}/v1/heartbeats`, {
      method: 'POST',
      headers: { ...this.#headers, 'content-type': 'application/json' },
      body: JSON.stringify(body),
      timeoutMs: this.#timeoutMs,
      signal,
    });
    return json<HeartbeatAck>(res);
  }

  /** Long-polls the outbox for up to `waitS` seconds (the request times out 10 s after that). */
  async outbox(
    opts: { waitS: number; max: number },
    signal?: AbortSignal,
  ): Promise<{ messages: LeasedMessage[]; serverTime: number }> {
    const res = await call(`${this.url}/v1/devices/me/outbox?wait=${opts.waitS}&max=${opts.max}`, {
      method: 'GET',
      headers: this.#headers,
      timeoutMs: opts.waitS * 1000 + 10_000,
      signal,
    });
    return json<{ messages: LeasedMessage[]; serverTime: number }>(res);
  }

  /** Posts up to 500 receipts; one result per receipt, in order. */
  async receipts(receipts: Receipt[], signal?: AbortSignal): Promise<ReceiptResult[]> {
    if (receipts.length > MAX_RECEIPTS_PER_BATCH) throw new Error('at most 500 receipts per batch');
    const res = await call(`${this.url}/v1/receipts`, {
      method: 'POST',
      headers: { ...this.#headers, 'content-type': 'application/json' },
      body: JSON.stringify({ receipts }),
      timeoutMs: this.#timeoutMs,
      signal,
    });
    return json<{ results: ReceiptResult[] }>(res).results;
  }

  /** Posts up to 100 received SMS canaries; one result per message, in order. */
  async inbound(messages: InboundSms[], signal?: AbortSignal): Promise<InboundResult[]> {
    const res = await call(`${this.url}/v1/inbound`, {
      method: 'POST',
      headers: { ...this.#headers, 'content-type': 'application/json' },
      body: JSON.stringify({ messages }),
      timeoutMs: this.#timeoutMs,
      signal,
    });
    return json<{ results: InboundResult[] }>(res).results;
  }

  /** This device as the server sees it (for `doctor`). */
  async me(signal?: AbortSignal): Promise<Record<string, unknown>> {
    const res = await call(`${this.url}/v1/devices/me`, {
      method: 'GET',
      headers: this.#headers,
      timeoutMs: this.#timeoutMs,
      signal,
    });
    return json<Record<string, unknown>>(res);
  }
}

/** Exchanges a one-time enrolment code for a device token. */
export async function enroll(
  serverUrl: string,
  code: string,
  name?: string,
  timeoutMs = 15_000,
): Promise<EnrollResult> {
  const body: Record<string, string> = { code };
  if (name) body.name = name;
  const res = await call(`${serverUrl.replace(/\/+$/, '')}/v1/devices/enroll`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
    timeoutMs,
  });
  return json<EnrollResult>(res);
}
