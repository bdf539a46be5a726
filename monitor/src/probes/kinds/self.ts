import {
  COMPONENT_OF_STATUS,
  describeFailure,
  type FetchOutcome,
  type FetchRequest,
  type ProbeVerdict,
} from '../types.ts';

/** A self-probe has no settings: it probes this deployment's PUBLIC_URL (the target is Lifeline itself). */
export type SelfConfig = Record<string, never>;

/**
 * Self-probe (Layer 1): `GET /healthz` must answer 200 `{ ok: true }`, and the ingest path must answer
 * without a server error (`POST /v1/heartbeats` without a token: 401 proves routing, validation and auth
 * answer; a 5xx or no answer is a failure).
 */
export function selfRequests(publicUrl: string): FetchRequest[] {
  if (!publicUrl) return [];
  const base = publicUrl.replace(/\/+$/, '');
  return [
    { url: `${base}/healthz`, method: 'GET' },
    {
      url: `${base}/v1/heartbeats`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    },
  ];
}

export function evaluateSelf(outcomes: FetchOutcome[]): ProbeVerdict {
  const [health, ingest] = outcomes;
  const latencies = outcomes
    .map((o) => (o.ok ? o.response.latencyMs : o.latencyMs))
    .filter((x): x is number => x !== null);
  const latencyMs = latencies.length > 0 ? Math.max(...latencies) : null;
  const down = (detail: string): ProbeVerdict => ({
    status: 'down',
    latencyMs,
    detail,
    componentStatus: COMPONENT_OF_STATUS.down,
  });
  if (!health) return { status: 'unknown', latencyMs, detail: 'no URL to probe (set PUBLIC_URL)' };
  if (!health.ok) return down(`/healthz: ${describeFailure(health)}`);
  let ok = false;
  try {
    ok = (JSON.parse(health.response.body) as { ok?: unknown }).ok === true;
  } catch {}
  if (health.response.status !== 200 || !ok) return down(`/healthz answered HTTP ${health.response.status}`);
  if (!ingest) return { status: 'unknown', latencyMs, detail: 'the ingest path was not probed' };
  if (!ingest.ok) return down(`ingest: ${describeFailure(ingest)}`);
  if (ingest.response.status >= 500) return down(`ingest answered HTTP ${ingest.response.status}`);
  return {
    status: 'up',
    latencyMs,
    detail: `healthz and ingest answered in ${latencyMs} ms`,
    componentStatus: 'operational',
  };
}
