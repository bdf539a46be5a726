/**
 * How probes drive a component's derived status, pure: the worst status among the probes feeding it
 * (a probe names its component; a component whose source is `probe:<id>` is fed by that probe too).
 * A probe's last known status holds while it is fresh (3 intervals, at least 15 minutes): a run that
 * could not tell (unknown) neither clears an outage nor invents one. Stale or never known: operational,
 * like any component without data.
 */
import type { Component, Probe } from '@lifeline/db/schema';
import { type ComponentStatus, worstStatus } from '../domain/component-status.ts';

const MIN_FRESH_MS = 15 * 60_000;

export function probesFeeding(c: Pick<Component, 'id' | 'source'>, probes: Probe[]): Probe[] {
  return probes.filter((p) => p.enabled && (p.componentId === c.id || c.source === `probe:${p.id}`));
}

export function probeComponentStatus(
  feeding: Pick<Probe, 'lastComponentStatus' | 'lastKnownAt' | 'intervalMs'>[],
  now: number,
): ComponentStatus {
  const fresh = feeding
    .filter(
      (p) =>
        p.lastComponentStatus !== null &&
        p.lastKnownAt !== null &&
        now - p.lastKnownAt <= Math.max(3 * p.intervalMs, MIN_FRESH_MS),
    )
    .map((p) => p.lastComponentStatus as ComponentStatus);
  return worstStatus(fresh);
}
