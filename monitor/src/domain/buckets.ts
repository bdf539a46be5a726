import type { Granularity } from '@lifeline/db/schema';

export const GRANULARITY_MS: Record<Granularity, number> = {
  minute: 60_000,
  hour: 3_600_000,
  day: 86_400_000,
};
export const GRANULARITIES: readonly Granularity[] = ['minute', 'hour', 'day'];

export interface Interval {
  start: number;
  end: number;
}

export function bucketStartOf(t: number, g: Granularity): number {
  const size = GRANULARITY_MS[g];
  return Math.floor(t / size) * size;
}

/** The milliseconds of an interval that fall in each bucket of a granularity. */
export function splitIntoBuckets(interval: Interval, g: Granularity): { bucketStart: number; ms: number }[] {
  const out: { bucketStart: number; ms: number }[] = [];
  const size = GRANULARITY_MS[g];
  let t = interval.start;
  while (t < interval.end) {
    const bucketStart = bucketStartOf(t, g);
    const end = Math.min(interval.end, bucketStart + size);
    out.push({ bucketStart, ms: end - t });
    t = end;
  }
  return out;
}

/**
 * What a heartbeat adds to a device's online time: its coverage [receivedAt, receivedAt + coverage) minus
 * what earlier heartbeats already covered (everything before `coverageEndAt`). Summed over heartbeats in
 * receive order, the additions are exactly the union of the coverages.
 */
export function coverageExtension(
  coverageEndAt: number | null,
  receivedAt: number,
  coverageMs: number,
): { added: Interval | null; coverageEndAt: number } {
  const end = receivedAt + coverageMs;
  const start = Math.max(receivedAt, coverageEndAt ?? Number.NEGATIVE_INFINITY);
  return {
    added: end > start ? { start, end } : null,
    coverageEndAt: Math.max(end, coverageEndAt ?? end),
  };
}

export interface BucketRange {
  granularity: Granularity;
  /** Inclusive start and exclusive end of bucket starts. */
  from: number;
  to: number;
}

/**
 * Covers a minute-aligned range with the fewest buckets: whole days in the middle, whole hours and then
 * minutes at the edges. A 90-day range reads at most 90 + 2x23 + 2x59 rows per scope.
 */
export function decomposeRange(from: number, to: number): BucketRange[] {
  const out: BucketRange[] = [];
  const M = GRANULARITY_MS.minute;
  const H = GRANULARITY_MS.hour;
  const D = GRANULARITY_MS.day;
  let lo = Math.floor(from / M) * M;
  const hi = Math.ceil(to / M) * M;
  if (hi <= lo) return out;
  const dayLo = Math.ceil(lo / D) * D;
  const dayHi = Math.floor(hi / D) * D;
  if (dayHi > dayLo) {
    const hourLo = Math.ceil(lo / H) * H;
    const hourHi = Math.floor(hi / H) * H;
    if (lo < hourLo) out.push({ granularity: 'minute', from: lo, to: hourLo });
    if (hourLo < dayLo) out.push({ granularity: 'hour', from: hourLo, to: dayLo });
    out.push({ granularity: 'day', from: dayLo, to: dayHi });
    if (dayHi < hourHi) out.push({ granularity: 'hour', from: dayHi, to: hourHi });
    if (hourHi < hi) out.push({ granularity: 'minute', from: hourHi, to: hi });
    return out;
  }
  const hourLo = Math.ceil(lo / H) * H;
  const hourHi = Math.floor(hi / H) * H;
  if (hourHi > hourLo) {
    if (lo < hourLo) out.push({ granularity: 'minute', from: lo, to: hourLo });
    out.push({ granularity: 'hour', from: hourLo, to: hourHi });
    lo = hourHi;
  }
  if (lo < hi) out.push({ granularity: 'minute', from: lo, to: hi });
  return out;
}
