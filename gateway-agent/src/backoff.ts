/**
 * Exponential backoff with full jitter (pure): attempt 0 waits up to `baseMs`, then twice as long each
 * time, capped at `maxMs`. The wait is drawn from [ceiling/2, ceiling] so a fleet coming back after an
 * outage spreads out without anyone retrying immediately.
 */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1_000, maxMs: 60_000 };

export function backoffDelayMs(
  failures: number,
  policy: BackoffPolicy = DEFAULT_BACKOFF,
  random: () => number = Math.random,
): number {
  if (failures <= 0) return 0;
  const ceiling = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(30, failures - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** `intervalMs` moved by up to ±`fraction` of itself, so heartbeats of many phones do not line up. */
export function jittered(intervalMs: number, fraction = 0.1, random: () => number = Math.random): number {
  return Math.round(intervalMs * (1 - fraction + 2 * fraction * random()));
}
