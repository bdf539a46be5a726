import type { Interval } from './buckets.ts';

/** What decides whether a device's time counts as observed. */
export interface ObservedDevice {
  enrolledAt: number;
  /** When it was revoked; its time ends there. */
  revokedAt: number | null;
  /** Paused periods (resumedAt null: still paused). */
  pauses: readonly { pausedAt: number; resumedAt: number | null }[];
}

/**
 * Observed time (the uptime denominator): from enrolment until revocation or `now`, minus paused periods
 * (and, when they land, maintenance windows). Time before enrolment and paused time are not observed, so
 * they count neither for nor against uptime.
 */
export function observedIntervals(d: ObservedDevice, now: number): Interval[] {
  const end = Math.min(now, d.revokedAt ?? now);
  if (end <= d.enrolledAt) return [];
  const pauses = [...d.pauses].sort((a, b) => a.pausedAt - b.pausedAt);
  const out: Interval[] = [];
  let cursor = d.enrolledAt;
  for (const p of pauses) {
    const pauseEnd = p.resumedAt ?? end;
    if (p.pausedAt > cursor) out.push({ start: cursor, end: Math.min(p.pausedAt, end) });
    cursor = Math.max(cursor, pauseEnd);
    if (cursor >= end) break;
  }
  if (cursor < end) out.push({ start: cursor, end });
  return out.filter((i) => i.end > i.start);
}

/**
 * Device-time observed in each bucket, summed over many devices in O((devices + buckets) log devices):
 * the number of observed devices is a step function of time; integrate it over each bucket.
 */
export function observedPerBucket(
  devices: ObservedDevice[],
  now: number,
  bucketStarts: number[],
  bucketMs: number,
): number[] {
  const steps: [number, number][] = [];
  for (const d of devices) {
    for (const i of observedIntervals(d, now)) steps.push([i.start, 1], [i.end, -1]);
  }
  steps.sort((a, b) => a[0] - b[0]);
  const out: number[] = [];
  let si = 0;
  let active = 0;
  for (const start of bucketStarts) {
    const end = start + bucketMs;
    while (si < steps.length && steps[si]![0] <= start) active += steps[si++]![1];
    let t = start;
    let total = 0;
    let sj = si;
    let level = active;
    while (sj < steps.length && steps[sj]![0] < end) {
      total += level * (steps[sj]![0] - t);
      t = steps[sj]![0];
      level += steps[sj]![1];
      sj++;
    }
    total += level * (end - t);
    out.push(total);
  }
  return out;
}
