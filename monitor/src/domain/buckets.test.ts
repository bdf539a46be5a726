import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { coverageExtension, decomposeRange, GRANULARITY_MS, splitIntoBuckets } from './buckets.ts';
import { unionLengthWithin } from './uptime.ts';

const D = GRANULARITY_MS.day;
const H = GRANULARITY_MS.hour;
const M = GRANULARITY_MS.minute;

describe('splitIntoBuckets', () => {
  it('splits at bucket boundaries', () => {
    expect(splitIntoBuckets({ start: 30_000, end: 150_000 }, 'minute')).toEqual([
      { bucketStart: 0, ms: 30_000 },
      { bucketStart: 60_000, ms: 60_000 },
      { bucketStart: 120_000, ms: 30_000 },
    ]);
    expect(splitIntoBuckets({ start: 10, end: 10 }, 'hour')).toEqual([]);
  });
});

describe('coverageExtension', () => {
  it('adds only what earlier heartbeats did not cover', () => {
    expect(coverageExtension(null, 0, 75_000)).toEqual({
      added: { start: 0, end: 75_000 },
      coverageEndAt: 75_000,
    });
    expect(coverageExtension(75_000, 30_000, 75_000)).toEqual({
      added: { start: 75_000, end: 105_000 },
      coverageEndAt: 105_000,
    });
    expect(coverageExtension(500_000, 30_000, 75_000)).toEqual({ added: null, coverageEndAt: 500_000 });
  });

  it('sums to exactly the union of the coverages for heartbeats in receive order', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 200_000 }), fc.constantFrom(30_000, 60_000)), {
          maxLength: 30,
        }),
        (beats) => {
          const sorted = [...beats].sort((a, b) => a[0] - b[0]);
          let end: number | null = null;
          let total = 0;
          for (const [t, interval] of sorted) {
            const r = coverageExtension(end, t, 2.5 * interval);
            end = r.coverageEndAt;
            if (r.added) total += r.added.end - r.added.start;
          }
          const union = unionLengthWithin(
            sorted.map(([t, i]) => ({ start: t, end: t + 2.5 * i })),
            { from: -1e12, to: 1e12 },
          );
          expect(total).toBe(union);
        },
      ),
    );
  });
});

describe('decomposeRange', () => {
  it('uses days in the middle, hours and minutes at the edges', () => {
    const from = 3 * D + 2 * H + 5 * M;
    const to = 10 * D + 4 * H + 7 * M;
    expect(decomposeRange(from, to)).toEqual([
      { granularity: 'minute', from, to: 3 * D + 3 * H },
      { granularity: 'hour', from: 3 * D + 3 * H, to: 4 * D },
      { granularity: 'day', from: 4 * D, to: 10 * D },
      { granularity: 'hour', from: 10 * D, to: 10 * D + 4 * H },
      { granularity: 'minute', from: 10 * D + 4 * H, to },
    ]);
  });

  it('tiles any minute-aligned range exactly, without overlap', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 200_000 }), fc.integer({ min: 0, max: 200_000 }), (a, b) => {
        const from = Math.min(a, b) * M;
        const to = Math.max(a, b) * M;
        const parts = decomposeRange(from, to).sort((x, y) => x.from - y.from);
        let cursor = from;
        for (const p of parts) {
          expect(p.from).toBe(cursor);
          expect((p.from % GRANULARITY_MS[p.granularity]) + (p.to % GRANULARITY_MS[p.granularity])).toBe(0);
          cursor = p.to;
        }
        expect(cursor).toBe(to);
      }),
    );
  });
});
