/** The alerts admin page's wording and form fields: rule parameters shown in minutes, read back in ms. */
import type { AlertRuleRow } from '../read-model.ts';

const MIN = 60_000;

export const SEVERITIES = ['page', 'ticket', 'info'] as const;
export const SEVERITY_LABEL: Record<string, string> = { page: 'Page', ticket: 'Ticket', info: 'Info' };
export const CHANNEL_LABEL: Record<string, string> = {
  web_push: 'Browser push',
  email: 'Email',
  webhook: 'Webhook',
  slack: 'Slack',
  discord: 'Discord',
};
export const EVENT_LABEL: Record<string, string> = {
  pending: 'Pending',
  fire: 'Fired',
  remind: 'Reminder',
  resolve: 'Resolved',
  cancel: 'Cancelled',
  acknowledge: 'Acknowledged',
};

/** A duration in words: `0`, `90 s`, `5 min`, `4 h`, `1 h 30 min`. */
export function duration(ms: number): string {
  if (ms === 0) return '0';
  if (ms < MIN) return `${Math.round(ms / 1000)} s`;
  const minutes = Math.round(ms / MIN);
  if (minutes < 60) return `${minutes} min`;
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  return m ? `${h} h ${m} min` : `${h} h`;
}

export interface ParamField {
  key: string;
  /** The form field's name. */
  name: string;
  label: string;
  kind: 'number' | 'minutes' | 'tiers';
  /** As shown: minutes for durations. */
  value: number | string[];
  step: string;
}

const LABELS: Record<string, string> = {
  lowBatteryPct: 'Low battery below (%)',
  weakSignalDbm: 'Weak signal below (dBm)',
  hotBatteryC: 'Hot battery above (°C)',
  depth: 'Queue depth at least',
  horizonMs: 'Projected within (min)',
  trendWindowMs: 'Trend window (min)',
  tiers: 'Burn-rate tiers',
  minRate: 'Delivery rate below (0–1)',
  windowMs: 'Window (min)',
  minEvents: 'With at least (messages)',
  minShare: 'Share of phones offline above (0–1)',
  minDevices: 'With at least (phones)',
};

/** The editable parameters of a rule, from its current ones (the kinds without parameters have none). */
export function paramFields(rule: AlertRuleRow): ParamField[] {
  return Object.entries(rule.params).map(([key, v]) => {
    const name = `p.${key}`;
    const label = LABELS[key] ?? key;
    if (Array.isArray(v)) return { key, name, label, kind: 'tiers', value: v.map(String), step: '' };
    if (key.endsWith('Ms')) return { key, name, label, kind: 'minutes', value: Number(v) / MIN, step: 'any' };
    return { key, name, label, kind: 'number', value: Number(v), step: key === 'minRate' ? '0.01' : 'any' };
  });
}

/** Reads the rule's parameters back from its form (checked afterwards by the API's schema). */
export function readParams(rule: AlertRuleRow, form: FormData): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of paramFields(rule)) {
    if (f.kind === 'tiers') {
      out[f.key] = form.getAll(f.name).filter((v) => typeof v === 'string');
      continue;
    }
    const raw = form.get(f.name);
    const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : Number.NaN;
    out[f.key] = f.kind === 'minutes' ? Math.round(n * MIN) : n;
  }
  return out;
}

/** A number of minutes from a form field as ms (NaN when not a number, for the schema to refuse). */
export function minutesField(form: FormData, name: string, fallback = 0): number {
  const raw = form.get(name);
  if (typeof raw !== 'string' || raw.trim() === '') return fallback;
  return Math.round(Number(raw) * MIN);
}
