import { describe, expect, it } from 'vitest';
import {
  backlogBreached,
  dedupeKey,
  defaultRules,
  degradedReasons,
  deliveryDropped,
  ruleKinds,
} from './rules.ts';

describe('default rules', () => {
  it('cover every rule kind once, with severities and sane waits', () => {
    const rules = defaultRules();
    expect(rules.map((r) => r.kind).sort()).toEqual([...ruleKinds].sort());
    expect(rules.find((r) => r.kind === 'device_offline')!.forMs).toBe(0);
  });
});

describe('device degraded', () => {
  const p = { lowBatteryPct: 20, weakSignalDbm: -110, hotBatteryC: 45 };
  it.each([
    [{ batteryPct: 15, charging: false }, ['battery 15 % and not charging']],
    [{ batteryPct: 15, charging: true }, []],
    [{ signalDbm: -115 }, ['weak signal (-115 dBm)']],
    [{ batteryTempC: 47 }, ['battery at 47 °C']],
    [{ batteryPct: 80, charging: false, signalDbm: -90, batteryTempC: 30 }, []],
    [{}, []],
  ])('%o -> %o', (signals, reasons) => {
    expect(degradedReasons(signals, p)).toEqual(reasons);
  });
});

describe('queue backlog', () => {
  it('fires on a queue that will cross the depth before the next evaluation', () => {
    const p = { depth: 500, horizonMs: 60_000, trendWindowMs: 300_000 };
    const rising = [100, 200, 300, 400].map((value, i) => ({ at: i * 30_000, value }));
    expect(backlogBreached(rising, p, 90_000)).toMatchObject({ breached: true, reason: 'projected' });
    const steady = [300, 300, 300].map((value, i) => ({ at: i * 30_000, value }));
    expect(backlogBreached(steady, p, 60_000).breached).toBe(false);
  });
});

describe('carrier delivery drop', () => {
  const p = { minRate: 0.9, windowMs: 900_000, minEvents: 20 };
  it('needs enough events, then compares the rate', () => {
    expect(deliveryDropped({ delivered: 0, terminal: 10 }, p)).toBe(false);
    expect(deliveryDropped({ delivered: 17, terminal: 20 }, p)).toBe(true);
    expect(deliveryDropped({ delivered: 18, terminal: 20 }, p)).toBe(false);
  });
  it('keys alerts by rule and subject', () => {
    expect(dedupeKey('rule_1', 'device:dev_1')).toBe('rule_1:device:dev_1');
  });
});
