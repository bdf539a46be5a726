import { describe, expect, it } from 'vitest';
import { SegmentRateLimiter } from './rate-limit.ts';

const MIN = 60_000;

describe('SegmentRateLimiter (segments per SIM, sliding minute and day)', () => {
  it.each<[[number, number][], number, number, number]>([
    // sends so far as [at, segments], segments asked for, now, expected wait
    [[], 1, 0, 0],
    [[[0, 9]], 1, 1_000, 0],
    [[[0, 10]], 1, 1_000, MIN - 1_000],
    [
      [
        [0, 4],
        [30_000, 6],
      ],
      3,
      40_000,
      MIN - 40_000,
    ],
    [
      [
        [0, 4],
        [30_000, 6],
      ],
      5,
      40_000,
      30_000 + MIN - 40_000,
    ],
    [[[0, 10]], 11, 0, Number.POSITIVE_INFINITY],
  ])('%j + %i segments at %i: wait %i', (sends, segments, now, wait) => {
    const l = new SegmentRateLimiter({ perMinute: 10, perDay: 100 });
    for (const [at, s] of sends) l.record(0, s, at);
    expect(l.waitMs(0, segments, now)).toBe(wait);
  });

  it('counts each SIM apart', () => {
    const l = new SegmentRateLimiter({ perMinute: 2, perDay: 100 });
    l.record(0, 2, 0);
    expect(l.waitMs(0, 1, 10)).toBeGreaterThan(0);
    expect(l.waitMs(1, 1, 10)).toBe(0);
    expect(l.waitMs(null, 2, 10)).toBe(0);
    expect(l.room(0, 10)).toBe(0);
    expect(l.room(1, 10)).toBe(2);
  });

  it('enforces the day limit across minutes, and forgets sends older than a day', () => {
    const l = new SegmentRateLimiter({ perMinute: 5, perDay: 10 });
    l.record(0, 5, 0);
    l.record(0, 5, 2 * MIN);
    expect(l.used(0, 3 * MIN)).toEqual({ minute: 0, day: 10 });
    expect(l.waitMs(0, 1, 3 * MIN)).toBe(86_400_000 - 3 * MIN);
    expect(l.waitMs(0, 1, 86_400_000 + 1)).toBe(0);
    expect(l.used(0, 86_400_000 + 2 * MIN + 1)).toEqual({ minute: 0, day: 0 });
  });

  it('accepts sends rebuilt from the journal in any order', () => {
    const l = new SegmentRateLimiter({ perMinute: 10, perDay: 100 });
    l.record(0, 3, 50_000);
    l.record(0, 3, 10_000);
    l.record(0, 3, 30_000);
    expect(l.used(0, 65_000)).toEqual({ minute: 9, day: 9 });
    expect(l.used(0, 75_000)).toEqual({ minute: 6, day: 9 });
  });
});
