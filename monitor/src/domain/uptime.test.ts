import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ratio, unionLengthWithin } from './uptime.ts';

describe('unionLengthWithin', () => {
  it.each([
    ['no intervals', [], { from: 0, to: 100 }, 0],
    ['one inside', [{ start: 10, end: 20 }], { from: 0, to: 100 }, 10],
    [
      'overlapping',
      [
        { start: 10, end: 30 },
        { start: 20, end: 40 },
      ],
      { from: 0, to: 100 },
      30,
    ],
    [
      'touching',
      [
        { start: 10, end: 20 },
        { start: 20, end: 30 },
      ],
      { from: 0, to: 100 },
      20,
    ],
    [
      'nested',
      [
        { start: 10, end: 50 },
        { start: 20, end: 30 },
      ],
      { from: 0, to: 100 },
      40,
    ],
    [
      'clipped at both ends',
      [
        { start: -50, end: 10 },
        { start: 90, end: 200 },
      ],
      { from: 0, to: 100 },
      20,
    ],
    ['outside the window', [{ start: 200, end: 300 }], { from: 0, to: 100 }, 0],
    [
      'unsorted',
      [
        { start: 60, end: 70 },
        { start: 10, end: 20 },
      ],
      { from: 0, to: 100 },
      20,
    ],
    ['empty window', [{ start: 0, end: 100 }], { from: 50, to: 50 }, 0],
  ])('%s', (_name, intervals, window, expected) => {
    expect(unionLengthWithin(intervals, window)).toBe(expected);
  });

  const intervals = fc.array(
    fc
      .tuple(fc.integer({ min: -1_000, max: 10_000 }), fc.integer({ min: 0, max: 2_000 }))
      .map(([start, len]) => ({
        start,
        end: start + len,
      })),
    { maxLength: 40 },
  );

  it('is never more than the window, and splitting the window adds up to the whole', () => {
    fc.assert(
      fc.property(
        intervals,
        fc.integer({ min: 0, max: 5_000 }),
        fc.integer({ min: 0, max: 5_000 }),
        (list, a, b) => {
          const from = Math.min(a, b);
          const to = Math.max(a, b) + 1;
          const whole = unionLengthWithin(list, { from, to });
          expect(whole).toBeGreaterThanOrEqual(0);
          expect(whole).toBeLessThanOrEqual(to - from);
          const mid = Math.floor((from + to) / 2);
          expect(
            unionLengthWithin(list, { from, to: mid }) + unionLengthWithin(list, { from: mid, to }),
          ).toBe(whole);
        },
      ),
    );
  });

  it('does not depend on the order of the intervals', () => {
    fc.assert(
      fc.property(intervals, (list) => {
        const w = { from: 0, to: 8_000 };
        expect(unionLengthWithin([...list].reverse(), w)).toBe(unionLengthWithin(list, w));
      }),
    );
  });
});

describe('ratio', () => {
  it('is null when nothing was observed and clamped to [0, 1] otherwise', () => {
    expect(ratio(5, 0)).toBeNull();
    expect(ratio(5, 10)).toBe(0.5);
    expect(ratio(15, 10)).toBe(1);
  });
});
