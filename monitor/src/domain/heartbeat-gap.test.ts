import { describe, expect, it } from 'vitest';
import { classifyGap } from './heartbeat-gap.ts';

const I = 30_000;
const prev = { runId: 'r1', bootId: 'b1', seq: 7, receivedAt: 0 };

describe('classifyGap', () => {
  it.each([
    ['no previous heartbeat', null, { ...prev, seq: 0 }, 'first'],
    ['next in sequence, on time', prev, { ...prev, seq: 8, receivedAt: 30_000 }, 'continuous'],
    ['a late but unbroken sequence', prev, { ...prev, seq: 8, receivedAt: 140_000 }, 'continuous'],
    ['a long silence in the same run', prev, { ...prev, seq: 8, receivedAt: 600_000 }, 'network_gap'],
    ['sequence numbers skipped', prev, { ...prev, seq: 11, receivedAt: 120_000 }, 'network_gap'],
    [
      'a new run on the same boot',
      prev,
      { ...prev, runId: 'r2', seq: 0, receivedAt: 40_000 },
      'agent_restart',
    ],
    ['a new boot', prev, { runId: 'r2', bootId: 'b2', seq: 0, receivedAt: 90_000 }, 'device_reboot'],
  ] as const)('%s', (_name, before, next, expected) => {
    expect(classifyGap(before, next, I)).toBe(expected);
  });
});
