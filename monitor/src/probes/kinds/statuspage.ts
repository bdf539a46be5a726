import type { ComponentStatus } from '../../domain/component-status.ts';
import { worstStatus } from '../../domain/component-status.ts';
import {
  describeFailure,
  type FetchOutcome,
  type FetchRequest,
  type ProbeVerdict,
  STATUS_OF_COMPONENT,
} from '../types.ts';

export interface StatuspageConfig {
  /** The page (`https://status.example.com`) or its `/api/v2/summary.json`. */
  url: string;
  /** Upstream components (names or ids) whose worst status becomes ours; empty: the page's indicator. */
  components?: string[];
}

const INDICATOR: Record<string, ComponentStatus> = {
  none: 'operational',
  minor: 'degraded_performance',
  major: 'partial_outage',
  critical: 'major_outage',
  maintenance: 'under_maintenance',
};
const COMPONENT_STATUSES = new Set<string>([
  'operational',
  'degraded_performance',
  'partial_outage',
  'major_outage',
  'under_maintenance',
]);

export function summaryUrl(url: string): string {
  const u = new URL(url);
  if (!u.pathname.endsWith('.json')) u.pathname = `${u.pathname.replace(/\/+$/, '')}/api/v2/summary.json`;
  return u.href;
}

export function statuspageRequests(c: StatuspageConfig): FetchRequest[] {
  return [{ url: summaryUrl(c.url), method: 'GET', headers: { accept: 'application/json' } }];
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const arr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

function unknown(detail: string, latencyMs: number | null): ProbeVerdict {
  return { status: 'unknown', latencyMs, detail };
}

/**
 * An Atlassian Statuspage v2 summary: the overall indicator, or the worst of the chosen components, mapped
 * onto our statuses (the enums are the same); unresolved incidents and upcoming or running maintenances
 * copied into the result. A feed that cannot be fetched or read is unknown, never down.
 */
export function evaluateStatuspage(c: StatuspageConfig, outcome: FetchOutcome): ProbeVerdict {
  if (!outcome.ok)
    return unknown(`cannot read the status page: ${describeFailure(outcome)}`, outcome.latencyMs);
  const r = outcome.response;
  if (r.status < 200 || r.status > 299)
    return unknown(`the status page answered HTTP ${r.status}`, r.latencyMs);
  let doc: unknown;
  try {
    doc = JSON.parse(r.body);
  } catch {
    return unknown('the status page answered invalid JSON', r.latencyMs);
  }
  if (!isObj(doc) || !isObj(doc.status) || !Array.isArray(doc.components))
    return unknown('not a Statuspage v2 summary (no status or components)', r.latencyMs);
  const indicator = str(doc.status.indicator) ?? 'none';
  const description = str(doc.status.description);
  const all = doc.components.filter(isObj).map((x) => ({
    id: str(x.id) ?? '',
    name: str(x.name) ?? '',
    status: (str(x.status) ?? 'operational') as ComponentStatus,
  }));
  const incidents = arr(doc.incidents)
    .filter(isObj)
    .filter((i) => i.status !== 'resolved' && i.status !== 'postmortem')
    .map((i) => ({
      id: str(i.id),
      name: str(i.name),
      status: str(i.status),
      impact: str(i.impact),
      shortlink: str(i.shortlink),
      updatedAt: str(i.updated_at),
      latestUpdate: str(arr(i.incident_updates).filter(isObj)[0]?.body),
      components: arr(i.components)
        .filter(isObj)
        .map((x) => str(x.name)),
    }));
  const maintenances = arr(doc.scheduled_maintenances)
    .filter(isObj)
    .filter((m) => m.status !== 'completed')
    .map((m) => ({
      id: str(m.id),
      name: str(m.name),
      status: str(m.status),
      scheduledFor: str(m.scheduled_for),
      scheduledUntil: str(m.scheduled_until),
      shortlink: str(m.shortlink),
    }));
  const wanted = (c.components ?? []).map((w) => w.toLowerCase());
  let componentStatus: ComponentStatus;
  let detail: string;
  const data: Record<string, unknown> = { indicator, description, incidents, maintenances };
  if (wanted.length > 0) {
    const chosen = all.filter(
      (x) => wanted.includes(x.id.toLowerCase()) || wanted.includes(x.name.toLowerCase()),
    );
    const missing = wanted.filter(
      (w) => !chosen.some((x) => x.id.toLowerCase() === w || x.name.toLowerCase() === w),
    );
    data.components = chosen;
    if (missing.length > 0) data.missing = missing;
    if (chosen.length === 0)
      return {
        ...unknown(`none of the chosen components is on the page (${missing.join(', ')})`, r.latencyMs),
        data,
      };
    componentStatus = worstStatus(
      chosen.map((x) => (COMPONENT_STATUSES.has(x.status) ? x.status : 'operational')),
    );
    detail = chosen.map((x) => `${x.name}: ${x.status}`).join(', ');
  } else {
    componentStatus = INDICATOR[indicator] ?? 'operational';
    detail = description ?? indicator;
  }
  if (incidents.length > 0)
    detail += ` — ${incidents.length} active incident${incidents.length > 1 ? 's' : ''}: ${incidents.map((i) => i.name).join('; ')}`;
  return {
    status: STATUS_OF_COMPONENT[componentStatus],
    latencyMs: r.latencyMs,
    detail,
    componentStatus,
    data,
  };
}
