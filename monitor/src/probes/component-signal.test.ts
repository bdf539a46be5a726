import type { Probe } from '@lifeline/db/schema';
import { describe, expect, it } from 'vitest';
import { probeComponentStatus, probesFeeding } from './component-signal.ts';
import { nextRunAt } from './scheduler.ts';

const NOW = Date.UTC(2026, 10, 1, 12, 0, 0);
const MIN = 60_000;
const probe = (over: Partial<Probe>): Probe =>
  ({
    id: 'prb_1',
    enabled: true,
    componentId: 'cmp_1',
    intervalMs: MIN,
    lastComponentStatus: 'operational',
    lastKnownAt: NOW,
    ...over,
  }) as Probe;

describe('probes feeding a component', () => {
  it('by componentId or by the component source probe:<id>; paused probes do not count', () => {
    const list = [
      probe({ id: 'a' }),
      probe({ id: 'b', componentId: null }),
      probe({ id: 'c', enabled: false }),
    ];
    expect(probesFeeding({ id: 'cmp_1', source: 'manual:x' }, list).map((p) => p.id)).toEqual(['a']);
    expect(probesFeeding({ id: 'cmp_2', source: 'probe:b' }, list).map((p) => p.id)).toEqual(['b']);
  });

  it('the worst fresh status wins; a stale one is forgotten', () => {
    const up = probe({ id: 'a' });
    const out = probe({ id: 'b', lastComponentStatus: 'major_outage', lastKnownAt: NOW - 5 * MIN });
    expect(probeComponentStatus([up, out], NOW)).toBe('major_outage');
    // Fresh for 3 intervals, at least 15 minutes.
    expect(probeComponentStatus([up, out], NOW + 9 * MIN)).toBe('major_outage');
    expect(probeComponentStatus([up, out], NOW + 11 * MIN)).toBe('operational');
    expect(probeComponentStatus([probe({ lastComponentStatus: null, lastKnownAt: null })], NOW)).toBe(
      'operational',
    );
  });

  it('jitter brings the next run early, never late', () => {
    expect(nextRunAt(NOW, MIN, 0)).toBe(NOW + MIN);
    expect(nextRunAt(NOW, MIN, 0.999)).toBeGreaterThan(NOW + MIN - 6_000);
    expect(nextRunAt(NOW, 3_600_000, 0.999)).toBeGreaterThan(NOW + 3_600_000 - 30_000);
  });
});
