import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addCounts,
  attainment,
  BURN_WINDOWS,
  type BurnWindow,
  burnAlerts,
  burnRate,
  burnSeverity,
  type Counts,
  errorBudget,
} from './slo.ts';

const c = (good: number, total: number): Counts => ({ good, total });
const all = (counts: Counts) =>
  Object.fromEntries(Object.keys(BURN_WINDOWS).map((w) => [w, counts])) as Record<BurnWindow, Counts>;

describe('attainment and error budget', () => {
  it.each([
    ['no events', c(0, 0), null],
    ['all good', c(100, 100), 1],
    ['97 of 100', c(97, 100), 0.97],
  ])('%s', (_n, counts, expected) => {
    expect(attainment(counts)).toBe(expected);
  });

  it('spends the budget: 1,000 messages at 97 % allow 30 failures', () => {
    const b = errorBudget(c(980, 1000), 0.97);
    expect(b.total).toBeCloseTo(30, 9);
    expect(b.consumed).toBe(20);
    expect(b.remaining).toBeCloseTo(10, 9);
    expect(b.remainingRatio).toBeCloseTo(1 / 3, 9);
    expect(errorBudget(c(900, 1000), 0.97).remainingRatio).toBeCloseTo(-7 / 3, 9);
    expect(errorBudget(c(0, 0), 0.97).remainingRatio).toBeNull();
  });

  it('attainment is always in [0, 1], and windows combine by summing counts', () => {
    const counts = fc
      .tuple(fc.nat(10_000), fc.nat(10_000))
      .map(([a, b]) => c(Math.min(a, b), Math.max(a, b)));
    fc.assert(
      fc.property(counts, counts, (x, y) => {
        const whole = addCounts(x, y);
        const a = attainment(whole);
        if (a !== null) {
          expect(a).toBeGreaterThanOrEqual(0);
          expect(a).toBeLessThanOrEqual(1);
          // the whole lies between its parts
          const parts = [attainment(x), attainment(y)].filter((p): p is number => p !== null);
          expect(a).toBeGreaterThanOrEqual(Math.min(...parts) - 1e-12);
          expect(a).toBeLessThanOrEqual(Math.max(...parts) + 1e-12);
        }
      }),
    );
  });
});

describe('burn rate', () => {
  it('is the bad fraction over the allowed bad fraction, capped by the target', () => {
    expect(burnRate(c(97, 100), 0.97)).toBeCloseTo(1, 9);
    expect(burnRate(c(0, 100), 0.95)).toBeCloseTo(20, 9); // the ceiling at 95 %
    expect(burnRate(c(0, 0), 0.95)).toBeNull();
  });

  it('at a 95 % target a total outage needs 43 minutes to cross 14.4 over an hour', () => {
    // one event a minute: after m minutes of total outage the 1 h window holds m bad of 60
    const burnAfter = (m: number) => burnRate(c(60 - m, 60), 0.95)!;
    // 14.4 / 20 = 72 % of the hour bad: 43.2 minutes
    expect(burnAfter(43.2)).toBeCloseTo(14.4, 9);
    expect(burnAfter(43)).toBeLessThan(14.4);
    expect(burnAfter(44)).toBeGreaterThan(14.4);
  });
});

describe('multiwindow burn alerts', () => {
  it('pages only when both the long and the short window burn fast', () => {
    const windows = all(c(1000, 1000));
    windows['1h'] = c(500, 1000); // burn 16.7 at 97 %
    expect(burnSeverity(burnAlerts(windows, 0.97, 100))).toBeNull(); // 5 m window is clean: the problem is over
    windows['5m'] = c(50, 100);
    expect(burnSeverity(burnAlerts(windows, 0.97, 100))).toBe('page');
  });

  it('opens a ticket on a slow burn', () => {
    const windows = all(c(1000, 1000));
    windows['1d'] = c(880, 1000); // burn 4
    windows['2h'] = c(880, 1000);
    const states = burnAlerts(windows, 0.97, 100);
    expect(burnSeverity(states)).toBe('ticket');
    expect(states.filter((s) => s.firing).map((s) => `${s.rule.long}/${s.rule.short}`)).toEqual(['1d/2h']);
  });

  it('does not fire on fewer events than the guard', () => {
    const states = burnAlerts(all(c(0, 10)), 0.97, 50);
    expect(states.every((s) => !s.firing && s.insufficientData)).toBe(true);
    expect(burnSeverity(burnAlerts(all(c(0, 10)), 0.97, 5))).toBe('page');
  });

  it('reports the burn of every rule even when it does not fire', () => {
    const states = burnAlerts(all(c(99, 100)), 0.97, 1);
    expect(states.map((s) => Number(s.longBurn!.toFixed(4)))).toEqual([0.3333, 0.3333, 0.3333, 0.3333]);
    expect(states.every((s) => !s.firing)).toBe(true);
  });
});
