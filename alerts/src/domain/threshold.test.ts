import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluateThreshold, type Sample, type ThresholdRule, trendSlope } from './threshold.ts';

const MIN = 60_000;
const rule95: ThresholdRule = {
  threshold: 95,
  direction: 'above',
  horizonMs: MIN,
  trendWindowMs: 5 * MIN,
  minTrendSamples: 3,
};

describe('fast-rise threshold', () => {
  it('post-mortem: a pool going from 85 % to 100 % in 3 minutes fires before it reaches 100 %', () => {
    // One sample every 15 s; evaluated at every sample (on ingest), projecting one minute ahead.
    const samples: Sample[] = [];
    let firedAt: number | null = null;
    let valueWhenFired = 0;
    for (let t = 0; t <= 3 * MIN; t += 15_000) {
      samples.push({ at: t, value: 85 + (15 * t) / (3 * MIN) });
      const v = evaluateThreshold(samples, rule95, t);
      if (v.breached && firedAt === null) {
        firedAt = t;
        valueWhenFired = v.value;
      }
    }
    expect(firedAt).not.toBeNull();
    expect(valueWhenFired).toBeLessThan(95); // a plain threshold would still be silent
    expect(firedAt!).toBeLessThan(2 * MIN); // the value reaches 95 % at 2 min and 100 % at 3 min
  });

  it('the same rise without the projection fires only at 95 %', () => {
    const plain = { ...rule95, minTrendSamples: Number.POSITIVE_INFINITY };
    const samples = [0, 1, 2, 3].map((m) => ({ at: m * MIN, value: 85 + 5 * m }));
    expect(evaluateThreshold(samples.slice(0, 3), plain, 2 * MIN).breached).toBe(true); // 95 exactly
    expect(evaluateThreshold(samples.slice(0, 2), plain, MIN).breached).toBe(false);
  });

  it.each([
    ['flat below the threshold', [80, 80, 80, 80], false, undefined],
    ['slow rise that stays below within the horizon', [80, 80.5, 81, 81.5], false, undefined],
    ['already past', [90, 93, 96], true, 'crossed'],
    ['falling from above', [99, 97, 96], true, 'crossed'],
    ['falling below', [94, 90, 86], false, undefined],
    ['steep rise', [70, 78, 86, 94], true, 'projected'],
  ] as const)('%s', (_name, values, breached, reason) => {
    const samples = values.map((value, i) => ({ at: i * MIN, value }));
    const v = evaluateThreshold(samples, rule95, (values.length - 1) * MIN);
    expect(v.breached).toBe(breached);
    if (v.breached) expect(v.reason).toBe(reason);
  });

  it('projects downwards for `below` rules (battery draining fast)', () => {
    const battery: ThresholdRule = {
      ...rule95,
      threshold: 15,
      direction: 'below',
      horizonMs: 10 * MIN,
      trendWindowMs: 30 * MIN,
    };
    const samples = [30, 27, 24, 21].map((value, i) => ({ at: i * 5 * MIN, value }));
    const v = evaluateThreshold(samples, battery, 15 * MIN);
    expect(v).toMatchObject({ breached: true, reason: 'projected' });
    if (v.breached && v.reason === 'projected') expect(v.crossesAt).toBe(25 * MIN);
  });

  it('needs enough samples for a trend, ignores future samples, and says nothing without data', () => {
    expect(evaluateThreshold([], rule95, 0)).toEqual({ breached: false, value: null, projected: null });
    const two = [
      { at: 0, value: 70 },
      { at: MIN, value: 90 },
    ];
    expect(evaluateThreshold(two, rule95, MIN).breached).toBe(false);
    expect(evaluateThreshold([...two, { at: 5 * MIN, value: 100 }], rule95, MIN).breached).toBe(false);
  });

  it('trend slope is exact on a line and null without spread in time', () => {
    expect(trendSlope([{ at: 0, value: 1 }])).toBeNull();
    expect(
      trendSlope([
        { at: 5, value: 1 },
        { at: 5, value: 2 },
      ]),
    ).toBeNull();
    fc.assert(
      fc.property(
        fc.double({ min: -10, max: 10, noNaN: true }),
        fc.double({ min: -100, max: 100, noNaN: true }),
        fc.uniqueArray(fc.integer({ min: 0, max: 10_000 }), { minLength: 2, maxLength: 20 }),
        (slope, intercept, times) => {
          const s = trendSlope(times.map((at) => ({ at, value: intercept + slope * at })));
          expect(s).toBeCloseTo(slope, 6);
        },
      ),
    );
  });

  it('never fires while every sample and the projection stay on the good side', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 94, noNaN: true }), { minLength: 1, maxLength: 12 }),
        (values) => {
          const samples = values.map((value, i) => ({ at: i * MIN, value }));
          const v = evaluateThreshold(samples, rule95, (values.length - 1) * MIN);
          if (v.breached) expect(v.reason === 'projected' && v.projected >= 95).toBe(true);
        },
      ),
    );
  });
});
