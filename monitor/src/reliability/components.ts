import {
  activeMaintenances,
  type Db,
  type DeliveryCounts,
  listComponents,
  listDevices,
  probesOfWorkspace,
  scopeKeys,
} from '@lifeline/db';
import type { Component, Probe } from '@lifeline/db/schema';
import {
  type ComponentStatus,
  DEFAULT_THRESHOLDS,
  resolveComponentStatus,
  type ShareThresholds,
  statusFromShare,
} from '../domain/component-status.ts';
import { livenessAt } from '../domain/liveness.ts';
import { probeComponentStatus, probesFeeding } from '../probes/component-signal.ts';
import { deliveryCountsByRange, deliveryRates } from './figures.ts';

const SIGNAL_WINDOW_MS = 15 * 60_000;

export interface ComponentState {
  component: Component;
  status: ComponentStatus;
  derived: ComponentStatus;
  /** The value the status was derived from, when there is one. */
  signal: {
    kind: 'devices_online' | 'delivery_rate' | 'probe' | 'none';
    value: number | null;
    events?: number;
    /** The probes feeding the component (kind `probe`): their last outcomes. */
    probes?: {
      id: string;
      name: string;
      status: string | null;
      componentStatus: ComponentStatus | null;
      checkedAt: number | null;
    }[];
  };
  inMaintenance: boolean;
  override: ComponentStatus | null;
}

/** Each component's status now: derived from its signal, unless in maintenance or overridden by an admin. */
export async function componentStates(db: Db, workspaceId: string, now: number): Promise<ComponentState[]> {
  const list = await listComponents(db, workspaceId);
  const maintenance = await activeMaintenances(db, workspaceId, now);
  const devices = (await listDevices(db, workspaceId, { limit: 1_000_000 })).filter(
    (d) => d.status === 'active',
  );
  // Every carrier's recent delivery counts in one query (a page may show dozens of carriers).
  const carrierKeys = list
    .filter((c) => c.source.startsWith('carrier:'))
    .map((c) => scopeKeys.carrier(c.workspaceId, c.source.slice('carrier:'.length)));
  const carrierCounts = carrierKeys.length
    ? await deliveryCountsByRange(
        db,
        workspaceId,
        carrierKeys,
        [{ from: now - SIGNAL_WINDOW_MS, to: now }],
        now,
      )
    : new Map<string, DeliveryCounts[]>();
  const probes = await probesOfWorkspace(db, workspaceId);
  const states: ComponentState[] = [];
  for (const c of list) {
    const feeding = probesFeeding(c, probes);
    const signal = feeding.length > 0 ? probeSignal(feeding) : signalOf(c, devices, carrierCounts, now);
    const t = thresholdsOf(c, signal.kind);
    const minEvents = c.thresholds?.minEvents ?? DEFAULT_THRESHOLDS.minDeliveryEvents;
    const usable = signal.kind === 'delivery_rate' && (signal.events ?? 0) < minEvents ? null : signal.value;
    const derived = feeding.length > 0 ? probeComponentStatus(feeding, now) : statusFromShare(usable, t);
    const inMaintenance = maintenance.some((m) => !m.componentIds || m.componentIds.includes(c.id));
    const override =
      c.overrideStatus && (c.overrideUntil === null || c.overrideUntil > now) ? c.overrideStatus : null;
    states.push({
      component: c,
      status: resolveComponentStatus({ derived, inMaintenance, override }),
      derived,
      signal,
      inMaintenance,
      override,
    });
  }
  return states;
}

function probeSignal(feeding: Probe[]): ComponentState['signal'] {
  return {
    kind: 'probe',
    value: null,
    probes: feeding.map((p) => ({
      id: p.id,
      name: p.name,
      status: p.lastStatus,
      componentStatus: p.lastComponentStatus,
      checkedAt: p.lastCheckedAt,
    })),
  };
}

function signalOf(
  c: Component,
  devices: Awaited<ReturnType<typeof listDevices>>,
  carrierCounts: Map<string, DeliveryCounts[]>,
  now: number,
): ComponentState['signal'] {
  if (c.source === 'devices') {
    if (devices.length === 0) return { kind: 'devices_online', value: null };
    const online = devices.filter((d) => livenessAt(d, now) === 'online').length;
    return { kind: 'devices_online', value: online / devices.length };
  }
  if (c.source.startsWith('carrier:')) {
    const key = scopeKeys.carrier(c.workspaceId, c.source.slice('carrier:'.length));
    const rates = deliveryRates(carrierCounts.get(key)![0]!);
    return { kind: 'delivery_rate', value: rates.deliveryRate, events: rates.events };
  }
  // Platform self-probes and upstream probes feed their components when the probes stage lands.
  return { kind: 'none', value: null };
}

function thresholdsOf(c: Component, kind: ComponentState['signal']['kind']): ShareThresholds {
  const base = kind === 'delivery_rate' ? DEFAULT_THRESHOLDS.deliveryRate : DEFAULT_THRESHOLDS.devicesOnline;
  return {
    degradedBelow: c.thresholds?.degradedBelow ?? base.degradedBelow,
    partialBelow: c.thresholds?.partialBelow ?? base.partialBelow,
    majorBelow: c.thresholds?.majorBelow ?? base.majorBelow,
  };
}
