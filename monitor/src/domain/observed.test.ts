import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type ObservedDevice, observedIntervals, observedPerBucket } from './observed.ts';
import { unionLengthWithin } from './uptime.ts';

describe('observedIntervals', () => {
  it.each([
    [
      'enrolled mid-window',
      { enrolledAt: 100, revokedAt: null, pauses: [] },
      1000,
      [{ start: 100, end: 1000 }],
    ],
    ['not enrolled yet', { enrolledAt: 2000, revokedAt: null, pauses: [] }, 1000, []],
    ['revoked', { enrolledAt: 0, revokedAt: 400, pauses: [] }, 1000, [{ start: 0, end: 400 }]],
    [
      'paused and resumed, then still paused',
      {
        enrolledAt: 0,
        revokedAt: null,
        pauses: [
          { pausedAt: 100, resumedAt: 200 },
          { pausedAt: 900, resumedAt: null },
        ],
      },
      1000,
      [
        { start: 0, end: 100 },
        { start: 200, end: 900 },
      ],
    ],
  ] as const)('%s', (_n, device, now, expected) => {
    expect(observedIntervals(device, now)).toEqual(expected);
  });
});

describe('observedPerBucket', () => {
  it('equals the per-device sum, bucket by bucket', () => {
    const device = fc
      .tuple(
        fc.integer({ min: 0, max: 5000 }),
        fc.option(fc.integer({ min: 0, max: 6000 })),
        fc.array(fc.tuple(fc.integer({ min: 0, max: 6000 }), fc.option(fc.integer({ min: 0, max: 2000 }))), {
          maxLength: 3,
        }),
      )
      .map(
        ([enrolledAt, revokedAt, pauses]): ObservedDevice => ({
          enrolledAt,
          revokedAt: revokedAt ?? null,
          pauses: pauses.map(([p, len]) => ({ pausedAt: p, resumedAt: len === null ? null : p + len })),
        }),
      );
    fc.assert(
      fc.property(fc.array(device, { maxLength: 8 }), (devices) => {
        const now = 6000;
        const starts = [0, 1000, 2000, 3000, 4000, 5000];
        const fast = observedPerBucket(devices, now, starts, 1000);
        const slow = starts.map((s) =>
          devices.reduce(
            (sum, d) => sum + unionLengthWithin(observedIntervals(d, now), { from: s, to: s + 1000 }),
            0,
          ),
        );
        expect(fast).toEqual(slow);
      }),
    );
  });
});
