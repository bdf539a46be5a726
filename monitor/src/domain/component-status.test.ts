import { describe, expect, it } from 'vitest';
import {
  DEFAULT_THRESHOLDS,
  pageIndicator,
  resolveComponentStatus,
  statusFromShare,
  worstStatus,
} from './component-status.ts';

describe('component status', () => {
  const t = DEFAULT_THRESHOLDS.devicesOnline;
  it.each([
    [null, 'operational'],
    [1, 'operational'],
    [0.9, 'degraded_performance'],
    [0.75, 'degraded_performance'],
    [0.74, 'partial_outage'],
    [0.25, 'partial_outage'],
    [0.2, 'major_outage'],
    [0, 'major_outage'],
  ] as const)('share %s of devices online is %s', (share, expected) => {
    expect(statusFromShare(share, t)).toBe(expected);
  });

  it('lets maintenance win over signals and an override win over both', () => {
    expect(resolveComponentStatus({ derived: 'major_outage', inMaintenance: true, override: null })).toBe(
      'under_maintenance',
    );
    expect(
      resolveComponentStatus({ derived: 'major_outage', inMaintenance: true, override: 'operational' }),
    ).toBe('operational');
    expect(resolveComponentStatus({ derived: 'partial_outage', inMaintenance: false, override: null })).toBe(
      'partial_outage',
    );
  });

  it('rolls up to the worst status and the Statuspage indicator', () => {
    expect(worstStatus(['operational', 'partial_outage', 'degraded_performance'])).toBe('partial_outage');
    expect(pageIndicator(['operational', 'major_outage'])).toBe('critical');
    expect(pageIndicator(['operational', 'under_maintenance'])).toBe('maintenance');
    expect(pageIndicator([])).toBe('none');
  });
});
