/** Pure formatting for the pages: percentages, dates, status words and the 90-day bar cells. */
import type {
  ComponentLayer,
  ComponentStatus,
  ComponentSummary,
  DayBar,
  IncidentImpact,
  IncidentStatus,
  PageIndicator,
} from '../read-model.ts';

export const DAY = 86_400_000;

/** A ratio as a percentage, rounded down so 99.996 % never shows as 100 %; null is "no data". */
export function percent(r: number | null | undefined, digits = 2): string {
  if (r === null || r === undefined || Number.isNaN(r)) return 'no data';
  if (r >= 1) return '100 %';
  const f = 10 ** digits;
  const v = Math.floor(r * 100 * f) / f;
  return `${v.toFixed(digits)} %`;
}

const dayFmt = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'UTC',
  day: 'numeric',
  month: 'short',
  year: 'numeric',
});
const shortDayFmt = new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', day: 'numeric', month: 'short' });
const timeFmt = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'UTC',
  day: 'numeric',
  month: 'short',
  year: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});

export const day = (t: number) => dayFmt.format(t);
export const shortDay = (t: number) => shortDayFmt.format(t);
export const dateTime = (t: number) => `${timeFmt.format(t)} UTC`;
export const iso = (t: number) => new Date(t).toISOString();
const hourMinuteFmt = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'UTC',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});
/** `14:05` (UTC), for chart labels. */
export const hourMinute = (t: number) => hourMinuteFmt.format(t);

/**
 * The `<script type="application/json" id="chart-data">` text of an admin page's charts (the public
 * page's parts empty): safe inside the element, `<` escaped.
 */
export function chartJson(charts: Record<string, unknown>): string {
  return JSON.stringify({
    labels: [],
    carriers: [],
    overall: [],
    target: 0,
    budget: { labels: [], remaining: [] },
    ...charts,
  }).replace(/</g, '\\u003c');
}

export const STATUS_LABEL: Record<ComponentStatus, string> = {
  operational: 'Operational',
  degraded_performance: 'Degraded performance',
  partial_outage: 'Partial outage',
  major_outage: 'Major outage',
  under_maintenance: 'Under maintenance',
};

export const INCIDENT_STATUS_LABEL: Record<IncidentStatus, string> = {
  investigating: 'Investigating',
  identified: 'Identified',
  monitoring: 'Monitoring',
  resolved: 'Resolved',
  postmortem: 'Postmortem',
};

export const IMPACT_LABEL: Record<IncidentImpact, string> = {
  none: 'No impact',
  minor: 'Minor',
  major: 'Major',
  critical: 'Critical',
};

export const LAYERS: { layer: ComponentLayer; title: string }[] = [
  { layer: 'platform', title: 'Platform' },
  { layer: 'devices', title: 'Device connectivity' },
  { layer: 'carrier', title: 'Carrier delivery' },
  { layer: 'upstream', title: 'Upstream' },
];

/** The banner's tone: ok, maintenance, minor, major, critical. */
export function bannerTone(i: PageIndicator): string {
  return i === 'none' ? 'ok' : i;
}

/** Severity classes of a bar cell: nd (no data), ok, minor, major, critical. */
export type CellTone = 'nd' | 'ok' | 'minor' | 'major' | 'critical';
const TONE_RANK: Record<CellTone, number> = { nd: 0, ok: 1, minor: 2, major: 3, critical: 4 };

/** Documented colour bands: uptime 99.9 / 99 / 95 %, delivery rate 97 / 95 / 80 %. */
export function toneOf(metric: ComponentSummary['metric'], r: number | null): CellTone {
  if (r === null || metric === null) return 'nd';
  const [ok, minor, major] = metric === 'delivery_rate' ? [0.97, 0.95, 0.8] : [0.999, 0.99, 0.95];
  if (r >= ok) return 'ok';
  if (r >= minor) return 'minor';
  if (r >= major) return 'major';
  return 'critical';
}

function dayTone(metric: ComponentSummary['metric'], d: DayBar): CellTone {
  let tone = toneOf(metric, d.ratio);
  for (const i of d.incidents) {
    const t: CellTone = i.impact === 'none' ? 'ok' : i.impact;
    if (TONE_RANK[t] > TONE_RANK[tone]) tone = t;
  }
  return tone;
}

export interface BarRun {
  /** Index of the first day. */
  index: number;
  /** Days in the run. */
  length: number;
  tone: CellTone;
  maintenance: boolean;
  /** What a person reads for these days: the dates, the figure (or its range), maintenance, incidents. The bar's own label names the metric. */
  label: string;
}

export function metricWord(metric: ComponentSummary['metric']): string {
  return metric === 'delivery_rate' ? 'delivered' : 'uptime';
}

/** A percentage without trailing zeros' noise: 100 %, 99.95 %. */
function shortPercent(r: number): string {
  return r >= 1 ? '100' : (Math.floor(r * 10_000) / 100).toFixed(2);
}

/**
 * The 90 days as runs of consecutive days in the same colour band, with the same incidents and
 * maintenance: one cell per run (each still drawn one column a day), so a quiet quarter costs a few cells,
 * not 90, and the page stays small at 50 components. A one-day run reads its exact figure; a longer run
 * reads the range of its days' figures (for example "99.91–100 % uptime"), so no day hides a worse figure
 * than its cell says; and a day with an incident always stands alone unless its neighbours share it.
 */
export function barRuns(metric: ComponentSummary['metric'], days: DayBar[]): BarRun[] {
  const runs: (BarRun & { key: string; lo: number | null; hi: number | null })[] = [];
  days.forEach((d, index) => {
    const tone = dayTone(metric, d);
    const key = `${tone}|${d.maintenance}|${d.incidents.map((i) => i.id).join(',')}`;
    const last = runs[runs.length - 1];
    const r = metric === null ? null : d.ratio;
    if (last && last.key === key) {
      last.length++;
      if (r !== null) {
        last.lo = last.lo === null ? r : Math.min(last.lo, r);
        last.hi = last.hi === null ? r : Math.max(last.hi, r);
      }
      return;
    }
    runs.push({ index, length: 1, tone, maintenance: d.maintenance, label: '', key, lo: r, hi: r });
  });
  return runs.map(({ key: _k, lo, hi, ...run }) => {
    const first = days[run.index]!;
    const lastDay = days[run.index + run.length - 1]!.start;
    // Within the last 90 days a date needs no year; the bar's label names the metric.
    const when = run.length === 1 ? shortDay(first.start) : `${shortDay(first.start)} – ${shortDay(lastDay)}`;
    let figure = 'no data';
    if (lo !== null && hi !== null) {
      const range =
        shortPercent(lo) === shortPercent(hi) ? shortPercent(lo) : `${shortPercent(lo)}–${shortPercent(hi)}`;
      figure = `${range} %`;
    }
    const parts = [figure];
    if (run.maintenance) parts.push('maintenance');
    for (const i of first.incidents) parts.push(`incident: ${i.name}`);
    return { ...run, label: `${when}: ${parts.join('; ')}` };
  });
}

/** Ratio over the bar's whole span, for its accessible summary. */
export function lowestDay(days: DayBar[]): DayBar | null {
  let low: DayBar | null = null;
  for (const d of days) if (d.ratio !== null && (low === null || d.ratio < (low.ratio ?? 1))) low = d;
  return low;
}

/** Base path of a workspace's public pages. */
export function basePath(ws: { slug: string; isDefault: boolean }, ownDomain = false): string {
  // On the workspace's own host name its page is the root (the server maps paths under `/s/<slug>`).
  return ws.isDefault || ownDomain ? '' : `/s/${encodeURIComponent(ws.slug)}`;
}

/**
 * The header the server sets (and strips from what clients send) on a request it mapped from a
 * workspace's own host name, so pages link from its root.
 */
export const OWN_DOMAIN_HEADER = 'x-lifeline-own-domain';

export function onOwnDomain(request: Request): boolean {
  return request.headers.get(OWN_DOMAIN_HEADER) === '1';
}
