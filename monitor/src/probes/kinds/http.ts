import {
  COMPONENT_OF_STATUS,
  describeFailure,
  type FetchOutcome,
  type FetchRequest,
  type ProbeStatus,
  type ProbeVerdict,
} from '../types.ts';
import { readJsonPath } from './json-path.ts';

export interface HttpConfig {
  url: string;
  method: 'GET' | 'HEAD' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  /** Inclusive range of acceptable status codes (default 200–399). */
  expectStatus: { min: number; max: number };
  /** Text the body must contain (or, with `keywordAbsent`, must not). */
  keyword?: string;
  keywordAbsent?: boolean;
  /** A value the JSON body must hold at a path (`$.status.indicator`, `items[0].ok`). */
  jsonPath?: { path: string; equals?: string | number | boolean | null };
  /** Slower than this is degraded. */
  degradedLatencyMs?: number;
  /** Warn (degraded) when the certificate expires within this many days (default 14). */
  tlsWarnDays?: number;
}

const DAY = 86_400_000;

/** One request; `secretHeaders` (opened from the sealed store) are added to the shown ones. */
export function httpRequests(c: HttpConfig, secretHeaders: Record<string, string> = {}): FetchRequest[] {
  return [
    {
      url: c.url,
      method: c.method,
      headers: { ...c.headers, ...secretHeaders },
      body: c.method === 'POST' ? c.body : undefined,
    },
  ];
}

function verdict(
  status: Exclude<ProbeStatus, 'unknown'>,
  latencyMs: number | null,
  detail: string,
  data?: Record<string, unknown>,
): ProbeVerdict {
  return {
    status,
    latencyMs,
    detail,
    componentStatus: COMPONENT_OF_STATUS[status],
    ...(data ? { data } : {}),
  };
}

/** An HTTP(S) check: a failed connection, an unexpected status or a failed assertion is down. */
export function evaluateHttp(c: HttpConfig, outcome: FetchOutcome, now: number): ProbeVerdict {
  if (!outcome.ok) {
    // A refused target says nothing about the target: the probe is misconfigured, not the target down.
    if (outcome.kind === 'refused_private' || outcome.kind === 'invalid_url')
      return { status: 'unknown', latencyMs: null, detail: describeFailure(outcome) };
    return verdict('down', outcome.latencyMs, describeFailure(outcome));
  }
  const r = outcome.response;
  const data: Record<string, unknown> = { statusCode: r.status, url: r.url };
  if (r.redirects.length > 0) data.redirects = r.redirects;
  if (r.tls) data.tls = { validTo: r.tls.validTo, subject: r.tls.subject };
  const { min, max } = c.expectStatus;
  if (r.status < min || r.status > max)
    return verdict('down', r.latencyMs, `HTTP ${r.status}, expected ${min}–${max}`, data);
  if (c.keyword !== undefined) {
    const found = r.body.includes(c.keyword);
    if (found === Boolean(c.keywordAbsent))
      return verdict(
        'down',
        r.latencyMs,
        c.keywordAbsent ? `the body contains "${c.keyword}"` : `the body lacks "${c.keyword}"`,
        data,
      );
  }
  if (c.jsonPath) {
    let doc: unknown;
    try {
      doc = JSON.parse(r.body);
    } catch {
      return verdict('down', r.latencyMs, 'the body is not valid JSON', data);
    }
    const got = readJsonPath(doc, c.jsonPath.path);
    if (!got.found) return verdict('down', r.latencyMs, `nothing at ${c.jsonPath.path}`, data);
    if (c.jsonPath.equals !== undefined && got.value !== c.jsonPath.equals)
      return verdict(
        'down',
        r.latencyMs,
        `${c.jsonPath.path} is ${JSON.stringify(got.value)}, expected ${JSON.stringify(c.jsonPath.equals)}`,
        data,
      );
  }
  if (r.tls) {
    const left = r.tls.validTo - now;
    if (left <= 0) return verdict('down', r.latencyMs, 'the TLS certificate has expired', data);
    if (left < (c.tlsWarnDays ?? 14) * DAY)
      return verdict(
        'degraded',
        r.latencyMs,
        `the TLS certificate expires in ${Math.floor(left / DAY)} days`,
        data,
      );
  }
  if (c.degradedLatencyMs !== undefined && r.latencyMs > c.degradedLatencyMs)
    return verdict('degraded', r.latencyMs, `slow: ${r.latencyMs} ms (over ${c.degradedLatencyMs} ms)`, data);
  return verdict('up', r.latencyMs, `HTTP ${r.status} in ${r.latencyMs} ms`, data);
}
