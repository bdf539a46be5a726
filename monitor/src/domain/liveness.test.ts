import { describe, expect, it } from 'vitest';
import { livenessAt, nextLivenessChangeAt } from './liveness.ts';

const I = 30_000; // interval
const at = (last: number | null, prev: number | null = null) => ({
  lastHeartbeatAt: last,
  prevHeartbeatAt: prev,
  heartbeatIntervalMs: I,
});

describe('livenessAt', () => {
  it.each([
    ['never heard from', at(null), 0, 'offline'],
    ['first heartbeat just now', at(1_000), 1_000, 'online'],
    ['exactly at the 2.5-interval grace boundary', at(0), 75_000, 'online'],
    ['one ms past grace', at(0), 75_001, 'suspect'],
    ['exactly 5 intervals', at(0), 150_000, 'suspect'],
    ['one ms past 5 intervals', at(0), 150_001, 'offline'],
    ['steady heartbeats', at(60_000, 30_000), 70_000, 'online'],
    ['a late (suspect) gap does not need hysteresis', at(200_000, 100_000), 200_000, 'online'],
  ] as const)('%s', (_name, input, now, expected) => {
    expect(livenessAt(input, now)).toBe(expected);
  });

  it('needs two on-time heartbeats to come back from offline (hysteresis)', () => {
    // offline for 10 minutes, then one heartbeat: still offline
    expect(livenessAt(at(700_000, 100_000), 700_000)).toBe('offline');
    // a second heartbeat 30 s later: online
    expect(livenessAt(at(730_000, 700_000), 730_000)).toBe('online');
  });

  it('a recovering device that goes quiet again is offline, then ages out normally', () => {
    expect(livenessAt(at(700_000, 100_000), 760_000)).toBe('offline');
    expect(livenessAt(at(700_000, 100_000), 900_000)).toBe('offline');
  });

  it('respects the interval the device was told', () => {
    const slow = { lastHeartbeatAt: 0, prevHeartbeatAt: null, heartbeatIntervalMs: 120_000 };
    expect(livenessAt(slow, 299_000)).toBe('online');
    expect(livenessAt(slow, 301_000)).toBe('suspect');
  });
});

describe('nextLivenessChangeAt', () => {
  it('is the grace boundary while online, the offline boundary while suspect, null once offline', () => {
    expect(nextLivenessChangeAt(at(0), 10_000)).toBe(75_000);
    expect(nextLivenessChangeAt(at(0), 80_000)).toBe(150_000);
    expect(nextLivenessChangeAt(at(0), 200_000)).toBeNull();
    expect(nextLivenessChangeAt(at(null), 0)).toBeNull();
  });
});
