/**
 * SLO arithmetic (blueprint section 3), on summed good/total counts per window — never an average of
 * per-bucket ratios, which is biased when traffic is uneven. The same math serves event SLOs (messages)
 * and time SLOs (milliseconds online / observed).
 */

export interface Counts {
  good: number;
  total: number;
}

export const SLO_INDICATORS = ['delivery', 'device_uptime', 'platform_uptime'] as const;
export type SloIndicator = (typeof SLO_INDICATORS)[number];
export const SLO_WINDOWS_DAYS = [7, 28, 30] as const;
export const MIN_TARGET = 0.9;
export const MAX_TARGET = 0.999;
export const DEFAULT_DELIVERY_TARGET = 0.97;

export function addCounts(a: Counts, b: Counts): Counts {
  return { good: a.good + b.good, total: a.total + b.total };
}

/** good / total, or null with no events (no data is not 100 %). */
export function attainment(c: Counts): number | null {
  return c.total > 0 ? c.good / c.total : null;
}

export interface ErrorBudget {
  /** Bad events (or ms) the window may have: (1 - target) x total. */
  total: number;
  consumed: number;
  remaining: number;
  /** remaining / total; negative once overspent; null with no events. */
  remainingRatio: number | null;
}

export function errorBudget(c: Counts, target: number): ErrorBudget {
  const total = (1 - target) * c.total;
  const consumed = c.total - c.good;
  return {
    total,
    consumed,
    remaining: total - consumed,
    remainingRatio: total > 0 ? (total - consumed) / total : null,
  };
}

/**
 * Burn rate: the bad fraction over the allowed bad fraction. 1 spends the budget exactly over the SLO
 * window; the ceiling is 1 / (1 - target) (20 at a 95 % target).
 */
export function burnRate(c: Counts, target: number): number | null {
  if (c.total <= 0) return null;
  return (c.total - c.good) / c.total / (1 - target);
}

export const BURN_WINDOWS = {
  '5m': 5 * 60_000,
  '30m': 30 * 60_000,
  '1h': 3_600_000,
  '2h': 2 * 3_600_000,
  '6h': 6 * 3_600_000,
  '1d': 86_400_000,
  '3d': 3 * 86_400_000,
} as const;
export type BurnWindow = keyof typeof BURN_WINDOWS;

export interface BurnRule {
  severity: 'page' | 'ticket';
  long: BurnWindow;
  short: BurnWindow;
  threshold: number;
}

/**
 * Multiwindow, multi-burn-rate alerts: the SRE workbook's two pages (2 % of a 30-day budget in an hour,
 * 5 % in six hours), Sloth's middle ticket tier and the workbook's slow ticket. The short window makes an
 * alert stop soon after the problem does.
 */
export const BURN_RULES: readonly BurnRule[] = [
  { severity: 'page', long: '1h', short: '5m', threshold: 14.4 },
  { severity: 'page', long: '6h', short: '30m', threshold: 6 },
  { severity: 'ticket', long: '1d', short: '2h', threshold: 3 },
  { severity: 'ticket', long: '3d', short: '6h', threshold: 1 },
];

export interface BurnAlertState {
  rule: BurnRule;
  longBurn: number | null;
  shortBurn: number | null;
  firing: boolean;
  /** True when the long window has fewer events than the guard, so the rule cannot fire. */
  insufficientData: boolean;
}

/** Which burn-rate rules fire, given the counts in each window and a minimum event count for the long window. */
export function burnAlerts(
  windows: Record<BurnWindow, Counts>,
  target: number,
  minEvents: number,
): BurnAlertState[] {
  return BURN_RULES.map((rule) => {
    const long = windows[rule.long];
    const short = windows[rule.short];
    const longBurn = burnRate(long, target);
    const shortBurn = burnRate(short, target);
    const insufficientData = long.total < minEvents;
    const firing =
      !insufficientData &&
      longBurn !== null &&
      shortBurn !== null &&
      longBurn > rule.threshold &&
      shortBurn > rule.threshold;
    return { rule, longBurn, shortBurn, firing, insufficientData };
  });
}

/** The most severe firing tier: 'page', 'ticket' or null. */
export function burnSeverity(states: BurnAlertState[]): 'page' | 'ticket' | null {
  if (states.some((s) => s.firing && s.rule.severity === 'page')) return 'page';
  if (states.some((s) => s.firing && s.rule.severity === 'ticket')) return 'ticket';
  return null;
}
