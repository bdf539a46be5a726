import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  chooseRoute,
  chooseSim,
  hasAnyRoom,
  hasRoom,
  planRoutes,
  type RoutableMessage,
  type RoutingCandidate,
  rankCandidates,
} from './router.ts';

const device = (deviceId: string, weight = 1, extra: Partial<RoutingCandidate> = {}): RoutingCandidate => ({
  deviceId,
  weight,
  group: null,
  sims: [{ slot: 0, usedMinute: 0, usedDay: 0 }],
  limits: { perMinute: 30, perDay: 2000 },
  ...extra,
});
const msg = (recipient: string, extra: Partial<RoutableMessage> = {}): RoutableMessage => ({
  recipient,
  segments: 1,
  preferredDeviceId: null,
  group: null,
  avoidDeviceId: null,
  ...extra,
});
const recipients = (n: number, from = 0) =>
  Array.from({ length: n }, (_, i) => `+4477009${String(from + i).padStart(5, '0')}`);

function shares(candidates: RoutingCandidate[], n = 10_000) {
  const counts = new Map<string, number>();
  for (const r of recipients(n)) {
    const route = chooseRoute(msg(r), candidates)!;
    counts.set(route.deviceId, (counts.get(route.deviceId) ?? 0) + 1);
  }
  return Object.fromEntries([...counts].map(([k, v]) => [k, v / n]));
}

describe('chooseRoute', () => {
  it('splits traffic by weight: 70/30 and 50/50', () => {
    const s = shares([device('primary', 70), device('backup', 30)]);
    expect(s.primary).toBeCloseTo(0.7, 1);
    expect(Math.abs(s.primary! - 0.7)).toBeLessThan(0.02);
    const even = shares([device('a', 50), device('b', 50)]);
    expect(Math.abs(even.a! - 0.5)).toBeLessThan(0.02);
  });

  it('keeps a recipient on the same device while it can send (sticky)', () => {
    const candidates = [device('a'), device('b'), device('c')];
    for (const r of recipients(200)) {
      expect(chooseRoute(msg(r), candidates)).toEqual(chooseRoute(msg(r), [...candidates].reverse()));
    }
  });

  it('moves only the dropped device’s recipients when it goes away', () => {
    const all = [device('a'), device('b'), device('c')];
    const without = all.filter((d) => d.deviceId !== 'c');
    for (const r of recipients(500)) {
      const before = chooseRoute(msg(r), all)!.deviceId;
      const after = chooseRoute(msg(r), without)!.deviceId;
      if (before !== 'c') expect(after).toBe(before);
    }
  });

  it('uses a weight-0 device only as standby', () => {
    expect(shares([device('main', 1), device('standby', 0)], 1000).standby).toBeUndefined();
    const full = device('main', 1, { sims: [{ slot: 0, usedMinute: 30, usedDay: 30 }] });
    expect(chooseRoute(msg('+447700900001'), [full, device('standby', 0)])?.deviceId).toBe('standby');
  });

  it('tries the preferred device first and the device to avoid last', () => {
    const candidates = [device('a'), device('b'), device('c')];
    for (const r of recipients(50)) {
      expect(chooseRoute(msg(r, { preferredDeviceId: 'b' }), candidates)?.deviceId).toBe('b');
      expect(chooseRoute(msg(r, { avoidDeviceId: 'a' }), candidates)?.deviceId).not.toBe('a');
    }
    expect(chooseRoute(msg('+1', { avoidDeviceId: 'a' }), [device('a')])?.deviceId).toBe('a');
  });

  it('restricts to the message’s device group', () => {
    const candidates = [device('a', 1, { group: 'eu' }), device('b', 1, { group: 'us' })];
    for (const r of recipients(50))
      expect(chooseRoute(msg(r, { group: 'us' }), candidates)?.deviceId).toBe('b');
    expect(chooseRoute(msg('+1', { group: 'asia' }), candidates)).toBeNull();
  });

  it('spills over to the next device or SIM when one is at its segment limit, and waits when all are', () => {
    const busySim = { slot: 0, usedMinute: 29, usedDay: 100 };
    const dual = device('dual', 1, { sims: [busySim, { slot: 1, usedMinute: 0, usedDay: 0 }] });
    expect(chooseRoute(msg('+1', { segments: 2 }), [dual])).toEqual({ deviceId: 'dual', simSlot: 1 });
    const full = device('full', 100, { sims: [{ slot: 0, usedMinute: 30, usedDay: 30 }] });
    expect(chooseRoute(msg('+1'), [full, device('other', 1)])?.deviceId).toBe('other');
    expect(chooseRoute(msg('+1'), [full])).toBeNull();
    const dayFull = device('day', 1, { sims: [{ slot: 0, usedMinute: 0, usedDay: 2000 }] });
    expect(chooseRoute(msg('+1'), [dayFull])).toBeNull();
  });

  it('lets a message longer than the per-minute limit go alone in an empty minute', () => {
    const limits = { perMinute: 5, perDay: 100 };
    expect(hasRoom({ slot: 0, usedMinute: 0, usedDay: 0 }, 8, limits)).toBe(true);
    expect(hasRoom({ slot: 0, usedMinute: 1, usedDay: 1 }, 8, limits)).toBe(false);
  });

  it('returns null when there is no candidate', () => {
    expect(chooseRoute(msg('+1'), [])).toBeNull();
  });
});

describe('chooseRoute and rankCandidates', () => {
  it('chooses the first candidate in rank order with a SIM that has room', () => {
    const candidate = fc.record({
      deviceId: fc.constantFrom('a', 'b', 'c', 'd', 'e'),
      weight: fc.constantFrom(0, 1, 30, 70),
      group: fc.constantFrom(null, 'eu'),
      sims: fc.array(
        fc.record({
          slot: fc.integer({ min: 0, max: 1 }),
          usedMinute: fc.integer({ min: 0, max: 12 }),
          usedDay: fc.integer({ min: 0, max: 60 }),
        }),
        { minLength: 1, maxLength: 2 },
      ),
      limits: fc.constant({ perMinute: 10, perDay: 50 }),
    });
    const candidates = fc
      .uniqueArray(candidate, { selector: (c) => c.deviceId, maxLength: 5 })
      .map((cs) => cs as RoutingCandidate[]);
    const message = fc.record({
      recipient: fc.constantFrom(...recipients(20)),
      segments: fc.integer({ min: 1, max: 4 }),
      preferredDeviceId: fc.constantFrom(null, 'a', 'c'),
      group: fc.constantFrom(null, 'eu'),
      avoidDeviceId: fc.constantFrom(null, 'b', 'c'),
    });
    fc.assert(
      fc.property(message, candidates, (m, cs) => {
        const first = rankCandidates(m, cs).find((c) => chooseSim(m, c) !== undefined);
        const expected = first ? { deviceId: first.deviceId, simSlot: chooseSim(m, first)! } : null;
        expect(chooseRoute(m, cs)).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });
});

describe('planRoutes', () => {
  it('routes like chooseRoute while there is room, and leaves its inputs unchanged', () => {
    const candidates = [device('a', 70), device('b', 30)].map((c) => ({
      ...c,
      limits: { perMinute: 10_000, perDay: 100_000 },
    }));
    const messages = recipients(500).map((r) => msg(r));
    const { routes, candidates: after } = planRoutes(messages, candidates);
    expect(routes.map((r) => r.route)).toEqual(messages.map((m) => chooseRoute(m, candidates)));
    expect(candidates.every((c) => c.sims[0]!.usedMinute === 0)).toBe(true);
    const onA = routes.filter((r) => r.route.deviceId === 'a').length;
    expect(after.find((c) => c.deviceId === 'a')!.sims[0]).toMatchObject({ usedMinute: onA, usedDay: onA });
  });

  it('counts each planned send against its SIM, so the overflow spills to the next device, then waits', () => {
    const candidates = [device('a', 100), device('b', 1, { limits: { perMinute: 5, perDay: 2000 } })];
    const messages = recipients(50).map((r) => msg(r, { segments: 2 }));
    const { routes, candidates: after } = planRoutes(messages, candidates);
    // a takes 15 two-segment messages (30 segments), b two (4 of its 5), the other 33 wait.
    expect(routes.filter((r) => r.route.deviceId === 'a')).toHaveLength(15);
    expect(routes.filter((r) => r.route.deviceId === 'b')).toHaveLength(2);
    expect(routes.map((r) => r.message)).toEqual(messages.filter((m) => routes.some((r) => r.message === m)));
    expect(hasAnyRoom(after)).toBe(true); // b has room for one more segment
    const full = planRoutes(
      recipients(5, 100).map((r) => msg(r)),
      after,
    ).candidates;
    expect(hasAnyRoom(full)).toBe(false);
    expect(planRoutes([msg('+1')], full).routes).toEqual([]);
  });
});

describe('pinned messages (SMS canaries)', () => {
  const twoSims = (id: string, extra: Partial<RoutingCandidate> = {}) =>
    device(id, 1, {
      sims: [
        { slot: 0, usedMinute: 0, usedDay: 0 },
        { slot: 1, usedMinute: 0, usedDay: 0 },
      ],
      ...extra,
    });

  it('go through their device only, and wait rather than fail over', () => {
    const canary = msg('+447700900001', { preferredDeviceId: 'a', pinned: true });
    expect(chooseRoute(canary, [device('a'), device('b')])?.deviceId).toBe('a');
    expect(chooseRoute(canary, [device('b'), device('c')])).toBeNull();
    const full = device('a', 1, { sims: [{ slot: 0, usedMinute: 30, usedDay: 0 }] });
    expect(chooseRoute(canary, [full, device('b')])).toBeNull();
    // Not pinned, the same preference fails over.
    expect(chooseRoute({ ...canary, pinned: false }, [device('b')])?.deviceId).toBe('b');
  });

  it('go through their pinned SIM only', () => {
    for (const r of recipients(50)) {
      const canary = msg(r, { preferredDeviceId: 'a', pinned: true, pinnedSimSlot: 1 });
      expect(chooseRoute(canary, [twoSims('a')])).toEqual({ deviceId: 'a', simSlot: 1 });
    }
    const busy = twoSims('a', {
      sims: [
        { slot: 0, usedMinute: 0, usedDay: 0 },
        { slot: 1, usedMinute: 0, usedDay: 2000 },
      ],
    });
    expect(
      chooseRoute(msg('+447700900001', { preferredDeviceId: 'a', pinned: true, pinnedSimSlot: 1 }), [busy]),
    ).toBeNull();
    expect(
      chooseRoute(msg('+447700900001', { preferredDeviceId: 'a', pinned: true, pinnedSimSlot: 3 }), [busy]),
    ).toBeNull();
  });
});
