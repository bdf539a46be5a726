export interface CoverInterval {
  start: number;
  end: number;
}

export interface Window {
  from: number;
  to: number;
}

/**
 * Length of the union of intervals, clipped to a window. Intervals need not be sorted or disjoint.
 * Device online time is this union over [receivedAt, receivedAt + 2.5 intervals] of its heartbeats.
 */
export function unionLengthWithin(intervals: readonly CoverInterval[], window: Window): number {
  if (window.to <= window.from) return 0;
  const clipped = intervals
    .map((i) => ({ start: Math.max(i.start, window.from), end: Math.min(i.end, window.to) }))
    .filter((i) => i.end > i.start)
    .sort((a, b) => a.start - b.start);
  let total = 0;
  let curStart = Number.NEGATIVE_INFINITY;
  let curEnd = Number.NEGATIVE_INFINITY;
  for (const i of clipped) {
    if (i.start > curEnd) {
      if (curEnd > curStart) total += curEnd - curStart;
      curStart = i.start;
      curEnd = i.end;
    } else if (i.end > curEnd) {
      curEnd = i.end;
    }
  }
  if (curEnd > curStart) total += curEnd - curStart;
  return total;
}

/** A share in [0, 1], or null when nothing was observed (no data is not 100 %). */
export function ratio(part: number, whole: number): number | null {
  if (whole <= 0) return null;
  return Math.min(1, Math.max(0, part / whole));
}
