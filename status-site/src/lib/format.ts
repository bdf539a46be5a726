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
  /** What a person reads for these days, dates included. */
  label: string;
  /** The same without the dates (what makes days of a run alike). */
  figure: string;
}

export function metricWord(metric: ComponentSummary['metric']): string {
  return metric === 'delivery_rate' ? 'delivered' : 'uptime';
}

function figureOf(metric: ComponentSummary['metric'], d: DayBar): string {
  const parts = [
    d.ratio === null || metric === null ? 'no data' : `${percent(d.ratio)} ${metricWord(metric)}`,
  ];
  if (d.maintenance) parts.push('maintenance');
  for (const i of d.incidents) parts.push(`incident: ${i.name}`);
  return parts.join('; ');
}

/**
 * The 90 days as runs of days that read the same (same figure, incidents and maintenance): one cell per
 * run, so a quiet quarter costs a few cells, not 90, while every day keeps its exact figure.
 */
export function barRuns(metric: ComponentSummary['metric'], days: DayBar[]): BarRun[] {
  const runs: BarRun[] = [];
  days.forEach((d, index) => {
    const figure = figureOf(metric, d);
    const last = runs[runs.length - 1];
    if (last && last.figure === figure) {
      last.length++;
      return;
    }
    runs.push({ index, length: 1, tone: dayTone(metric, d), maintenance: d.maintenance, label: '', figure });
  });
  for (const r of runs) {
    const first = days[r.index]!.start;
    const lastDay = days[r.index + r.length - 1]!.start;
    const when = r.length === 1 ? day(first) : `${shortDay(first)} – ${day(lastDay)}`;
    r.label = `${when}: ${r.figure}`;
  }
  return runs;
}

/** Ratio over the bar's whole span, for its accessible summary. */
export function lowestDay(days: DayBar[]): DayBar | null {
  let low: DayBar | null = null;
  for (const d of days) if (d.ratio !== null && (low === null || d.ratio < (low.ratio ?? 1))) low = d;
  return low;
}

/** Base path of a workspace's public pages. */
export function basePath(ws: { slug: string; isDefault: boolean }): string {
  return ws.isDefault ? '' : `/s/${encodeURIComponent(ws.slug)}`;
}
