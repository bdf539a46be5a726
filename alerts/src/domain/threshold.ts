/**
 * Threshold rules with a fast-rise projection (blueprint section 3): a rule fires when its value is past
 * the threshold, and also when the trend of its recent samples projects the value past the threshold
 * before the next evaluation. An alert at 95 % must not miss a value that goes from 85 % to 100 % in
 * three minutes: by the time a plain threshold sees 95 %, the pool is already full.
 */

export interface Sample {
  /** Epoch ms. */
  at: number;
  value: number;
}

export interface ThresholdRule {
  threshold: number;
  /** `above`: bad when the value rises to the threshold (queue depth, temperature); `below`: when it falls (battery, delivery rate). */
  direction: 'above' | 'below';
  /** How far ahead to project: the time until the next evaluation. */
  horizonMs: number;
  /** Samples within this window of the newest one make the trend. */
  trendWindowMs: number;
  /** Fewer samples than this in the window: no projection, only the plain threshold. */
  minTrendSamples: number;
}

export type ThresholdVerdict =
  | { breached: false; value: number | null; projected: number | null }
  | { breached: true; reason: 'crossed'; value: number; projected: number | null }
  | { breached: true; reason: 'projected'; value: number; projected: number; crossesAt: number };

/** Least-squares slope (value per ms) of the samples, or null with fewer than two distinct times. */
export function trendSlope(samples: readonly Sample[]): number | null {
  if (samples.length < 2) return null;
  const n = samples.length;
  const meanT = samples.reduce((s, x) => s + x.at, 0) / n;
  const meanV = samples.reduce((s, x) => s + x.value, 0) / n;
  let num = 0;
  let den = 0;
  for (const x of samples) {
    num += (x.at - meanT) * (x.value - meanV);
    den += (x.at - meanT) ** 2;
  }
  return den === 0 ? null : num / den;
}

function past(value: number, rule: ThresholdRule): boolean {
  return rule.direction === 'above' ? value >= rule.threshold : value <= rule.threshold;
}

/**
 * Judges a rule against its samples at `now`. Samples may come in any order; only those at or before
 * `now` count. The projection runs from the newest sample to `now + horizonMs` along the trend line
 * through the window, and only in the rule's bad direction (a falling queue never fires).
 */
export function evaluateThreshold(
  samples: readonly Sample[],
  rule: ThresholdRule,
  now: number,
): ThresholdVerdict {
  const seen = samples.filter((s) => s.at <= now).sort((a, b) => a.at - b.at);
  const last = seen.at(-1);
  if (!last) return { breached: false, value: null, projected: null };
  const window = seen.filter((s) => s.at >= last.at - rule.trendWindowMs);
  const slope = window.length >= rule.minTrendSamples ? trendSlope(window) : null;
  const projected = slope === null ? null : last.value + slope * (now + rule.horizonMs - last.at);
  if (past(last.value, rule)) return { breached: true, reason: 'crossed', value: last.value, projected };
  const worsening = slope !== null && (rule.direction === 'above' ? slope > 0 : slope < 0);
  if (worsening && projected !== null && past(projected, rule)) {
    const crossesAt = last.at + (rule.threshold - last.value) / slope;
    return {
      breached: true,
      reason: 'projected',
      value: last.value,
      projected,
      crossesAt: Math.round(crossesAt),
    };
  }
  return { breached: false, value: last.value, projected };
}
