import type { ComponentStatus } from '../domain/component-status.ts';

export type ProbeStatus = 'up' | 'degraded' | 'down' | 'unknown';

/** What one run of a probe concluded. Pure evaluators produce it from fetched responses. */
export interface ProbeVerdict {
  status: ProbeStatus;
  latencyMs: number | null;
  detail: string;
  /** The status the probe's component should show; absent when the run could not tell (unknown). */
  componentStatus?: ComponentStatus;
  /** What the probe read (upstream incidents, feed entries, health entities, TLS expiry). */
  data?: Record<string, unknown>;
}

/** One HTTP request a probe makes. */
export interface FetchRequest {
  url: string;
  method: 'GET' | 'HEAD' | 'POST';
  headers?: Record<string, string>;
  body?: string;
}

export interface FetchedResponse {
  /** The URL that answered (after redirects). */
  url: string;
  status: number;
  headers: Record<string, string>;
  body: string;
  latencyMs: number;
  /** The server certificate's expiry, where the runtime exposes it (Node's `https`; not Workers' fetch). */
  tls: { validTo: number; subject: string | null } | null;
  redirects: string[];
}

export type FetchFailureKind =
  | 'timeout'
  | 'refused_private'
  | 'dns'
  | 'network'
  | 'tls'
  | 'too_many_redirects'
  | 'too_large'
  | 'invalid_url';

export type FetchOutcome =
  | { ok: true; response: FetchedResponse }
  | { ok: false; kind: FetchFailureKind; message: string; latencyMs: number | null };

export interface FetchOptions {
  signal: AbortSignal;
  allowPrivate: boolean;
  maxRedirects?: number;
  maxBytes?: number;
}

/** The I/O edge: Node (`fetch-node.ts`, DNS-checked) or Web fetch (`fetch-web.ts`, Workers). */
export type Fetcher = (req: FetchRequest, opts: FetchOptions) => Promise<FetchOutcome>;

/** A failed fetch as words. */
export function describeFailure(o: Extract<FetchOutcome, { ok: false }>): string {
  return `${o.kind.replaceAll('_', ' ')}: ${o.message}`;
}

export const STATUS_OF_COMPONENT: Record<ComponentStatus, ProbeStatus> = {
  operational: 'up',
  under_maintenance: 'degraded',
  degraded_performance: 'degraded',
  partial_outage: 'degraded',
  major_outage: 'down',
};

export const COMPONENT_OF_STATUS: Record<Exclude<ProbeStatus, 'unknown'>, ComponentStatus> = {
  up: 'operational',
  degraded: 'degraded_performance',
  down: 'major_outage',
};
