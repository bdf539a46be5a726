import type { HeartbeatBody } from '../contract/heartbeat.ts';
import { deviceHealth } from './health.ts';
import { type LivenessInput, livenessAt } from './liveness.ts';

export interface RoutableDevice extends LivenessInput {
  status: 'active' | 'paused' | 'revoked';
  lastHealth: unknown;
}

/**
 * Whether the router may hand a device new messages: active (not paused or revoked), online, and not
 * failing health (engine down or SMS path down). A merely degraded device (low battery, weak signal) still
 * sends.
 */
export function isRoutable(device: RoutableDevice, now: number): boolean {
  if (device.status !== 'active') return false;
  const liveness = livenessAt(device, now);
  if (liveness !== 'online') return false;
  return deviceHealth(liveness, (device.lastHealth ?? null) as HeartbeatBody | null, now).status !== 'fail';
}

/** SIM slots a device reported, or one "driver's choice" slot when it reported none. */
export function simSlotsOf(lastHealth: unknown): (number | null)[] {
  const sims = (lastHealth as HeartbeatBody | null)?.sims ?? [];
  const slots = sims.map((s) => s.slot);
  return slots.length > 0 ? slots : [null];
}

/** Whether the device's SMS engine reports delivery; assumed when it does not say (the primary engine does). */
export function reportsDelivery(lastHealth: unknown): boolean {
  return (lastHealth as HeartbeatBody | null)?.driver.capabilities?.deliveryReports ?? true;
}

/** The carrier of a SIM slot as the device last reported it (the first SIM's when the slot is the driver's choice). */
export function carrierOf(lastHealth: unknown, slot: number | null): string | null {
  const sims = (lastHealth as HeartbeatBody | null)?.sims ?? [];
  const sim = slot === null ? sims[0] : sims.find((s) => s.slot === slot);
  return sim?.carrier ?? null;
}
