import { describe, expect, it } from 'vitest';
import type { DayBar } from '../read-model.ts';
import { barRuns, percent, toneOf } from './format.ts';

const DAY = 86_400_000;
const T = Date.UTC(2026, 9, 1);
const days = (ratios: (number | null)[], extra: (i: number) => Partial<DayBar> = () => ({})): DayBar[] =>
  ratios.map((ratio, i) => ({ start: T + i * DAY, ratio, incidents: [], maintenance: false, ...extra(i) }));

describe('percent', () => {
  it('rounds down, so 99.996 % never reads 100 %; null is no data', () => {
    expect(percent(0.99996)).toBe('99.99 %');
    expect(percent(1)).toBe('100 %');
    expect(percent(null)).toBe('no data');
  });
});

describe('barRuns', () => {
  it('merges days of one colour band and gives the range of their figures', () => {
    const runs = barRuns('uptime', days([null, null, 0.9995, 1, 0.9991, 0.98, 1]));
    expect(runs.map((r) => [r.index, r.length, r.tone])).toEqual([
      [0, 2, 'nd'],
      [2, 3, 'ok'],
      [5, 1, 'major'],
      [6, 1, 'ok'],
    ]);
    expect(runs.map((r) => r.label)).toEqual([
      '1 Oct – 2 Oct: no data',
      '3 Oct – 5 Oct: 99.91–100 %',
      '6 Oct: 98.00 %',
      '7 Oct: 100 %',
    ]);
    // Every day is covered exactly once.
    expect(runs.reduce((a, r) => a + r.length, 0)).toBe(7);
  });

  it('keeps days with an incident or maintenance apart, and colours them by the worst of figure and impact', () => {
    const incident = { id: 'inc_1', name: 'Carrier <b>outage</b>', impact: 'critical' as const };
    const runs = barRuns(
      'delivery_rate',
      days([0.99, 0.99, 0.99, 0.99], (i) => ({ incidents: i === 1 ? [incident] : [], maintenance: i === 3 })),
    );
    expect(runs.map((r) => [r.length, r.tone, r.maintenance])).toEqual([
      [1, 'ok', false],
      [1, 'critical', false],
      [1, 'ok', false],
      [1, 'ok', true],
    ]);
    expect(runs[1]!.label).toBe('2 Oct: 99.00 %; incident: Carrier <b>outage</b>');
    expect(runs[3]!.label).toBe('4 Oct: 99.00 %; maintenance');
  });

  it('uses the documented bands: uptime 99.9/99/95 %, delivery 97/95/80 %', () => {
    expect(
      ['uptime', 'delivery_rate'].map((m) => [0.9991, 0.991, 0.96, 0.9].map((r) => toneOf(m as 'uptime', r))),
    ).toEqual([
      ['ok', 'minor', 'major', 'critical'],
      ['ok', 'ok', 'minor', 'major'],
    ]);
  });
});
