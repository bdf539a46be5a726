import { describe, expect, it } from 'vitest';
import type { AlertRuleRow } from '../read-model.ts';
import { duration, minutesField, paramFields, readParams } from './alerts.ts';

const rule = (kind: AlertRuleRow['kind'], params: Record<string, unknown>): AlertRuleRow => ({
  id: 'rul_1',
  kind,
  name: kind,
  severity: 'page',
  forMs: 0,
  repeatIntervalMs: 0,
  params,
  enabled: true,
  public: false,
  updatedAt: 0,
});

function formOf(entries: [string, string][]) {
  const f = new FormData();
  for (const [k, v] of entries) f.append(k, v);
  return f;
}

describe('alert rule forms', () => {
  it('shows durations in minutes and reads them back in ms, other numbers as they are', () => {
    const r = rule('queue_backlog', { depth: 500, horizonMs: 60_000, trendWindowMs: 300_000 });
    expect(paramFields(r).map((f) => [f.name, f.kind, f.value])).toEqual([
      ['p.depth', 'number', 500],
      ['p.horizonMs', 'minutes', 1],
      ['p.trendWindowMs', 'minutes', 5],
    ]);
    const form = formOf(paramFields(r).map((f) => [f.name, String(f.value)]));
    form.set('p.depth', '250');
    expect(readParams(r, form)).toEqual({ depth: 250, horizonMs: 60_000, trendWindowMs: 300_000 });
  });

  it('reads tiers as a list and leaves bad numbers as NaN for the schema to refuse', () => {
    const tiers = rule('slo_burn', { tiers: ['page', 'ticket'] });
    expect(readParams(tiers, formOf([['p.tiers', 'page']]))).toEqual({ tiers: ['page'] });
    const drop = rule('carrier_delivery_drop', { minRate: 0.9, windowMs: 900_000, minEvents: 20 });
    const read = readParams(
      drop,
      formOf([
        ['p.minRate', ''],
        ['p.windowMs', '15'],
        ['p.minEvents', '20'],
      ]),
    );
    expect(read.minRate).toBeNaN();
    expect(read.windowMs).toBe(900_000);
    expect(readParams(rule('device_offline', {}), formOf([]))).toEqual({});
  });

  it('words durations and reads minute fields', () => {
    expect([0, 30_000, 300_000, 3_600_000, 5_400_000].map(duration)).toEqual([
      '0',
      '30 s',
      '5 min',
      '1 h',
      '1 h 30 min',
    ]);
    expect(minutesField(formOf([['d', '15']]), 'd')).toBe(900_000);
    expect(minutesField(formOf([]), 'd')).toBe(0);
  });
});
