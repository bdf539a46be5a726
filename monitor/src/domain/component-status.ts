/**
 * A status-page component's status (Statuspage's enum) from its signals, by documented thresholds.
 * Maintenance wins over signals, and an admin's override wins over both.
 */
export const COMPONENT_STATUSES = [
  'operational',
  'degraded_performance',
  'partial_outage',
  'major_outage',
  'under_maintenance',
] as const;
export type ComponentStatus = (typeof COMPONENT_STATUSES)[number];

/** Lower bounds of a healthy share (devices online, messages delivered): below each, the status worsens. */
export interface ShareThresholds {
  degradedBelow: number;
  partialBelow: number;
  majorBelow: number;
}

export const DEFAULT_THRESHOLDS = {
  /** Share of a workspace's active devices that are online. */
  devicesOnline: { degradedBelow: 1, partialBelow: 0.75, majorBelow: 0.25 },
  /** Delivery rate of a carrier over the last 15 minutes. */
  deliveryRate: { degradedBelow: 0.95, partialBelow: 0.8, majorBelow: 0.5 },
  /** Fewer terminal messages than this in 15 minutes say nothing about a carrier. */
  minDeliveryEvents: 20,
} as const;

/** Status from a share in [0, 1]; null (no signal) is operational: no data is not an outage. */
export function statusFromShare(share: number | null, t: ShareThresholds): ComponentStatus {
  if (share === null) return 'operational';
  if (share < t.majorBelow) return 'major_outage';
  if (share < t.partialBelow) return 'partial_outage';
  if (share < t.degradedBelow) return 'degraded_performance';
  return 'operational';
}

export function resolveComponentStatus(input: {
  derived: ComponentStatus;
  inMaintenance: boolean;
  override: ComponentStatus | null;
}): ComponentStatus {
  if (input.override) return input.override;
  if (input.inMaintenance) return 'under_maintenance';
  return input.derived;
}

const SEVERITY: Record<ComponentStatus, number> = {
  operational: 0,
  under_maintenance: 1,
  degraded_performance: 2,
  partial_outage: 3,
  major_outage: 4,
};

/** The worst of several statuses (for a group, or the page banner). */
export function worstStatus(statuses: ComponentStatus[]): ComponentStatus {
  return statuses.reduce<ComponentStatus>((w, s) => (SEVERITY[s] > SEVERITY[w] ? s : w), 'operational');
}

/** Statuspage's page indicator for the banner. */
export function pageIndicator(
  statuses: ComponentStatus[],
): 'none' | 'minor' | 'major' | 'critical' | 'maintenance' {
  const w = worstStatus(statuses);
  if (w === 'major_outage') return 'critical';
  if (w === 'partial_outage') return 'major';
  if (w === 'degraded_performance') return 'minor';
  if (w === 'under_maintenance') return 'maintenance';
  return 'none';
}
