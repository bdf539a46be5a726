import type { Liveness } from '@lifeline/db/schema';

/** A device is online while its last heartbeat is at most this many intervals old. */
export const ONLINE_GRACE_INTERVALS = 2.5;
/** Beyond this many intervals without a heartbeat a device is offline. */
export const OFFLINE_AFTER_INTERVALS = 5;

export interface LivenessInput {
  /** Server receive time of the latest heartbeat. */
  lastHeartbeatAt: number | null;
  /** Server receive time of the one before it. */
  prevHeartbeatAt: number | null;
  heartbeatIntervalMs: number;
}

/**
 * The blueprint's liveness, from the server clock alone:
 * - `online` while the last heartbeat is at most 2.5 intervals old;
 * - `suspect` beyond that, `offline` beyond 5 intervals;
 * - hysteresis: a device whose previous gap exceeded 5 intervals was offline, and stays offline until a
 *   second heartbeat arrives on time (at most 2.5 intervals after the first), so a flapping phone does
 *   not page anyone twice a minute. A device's very first heartbeat brings it online at once.
 */
export function livenessAt(input: LivenessInput, now: number): Liveness {
  const { lastHeartbeatAt: last, prevHeartbeatAt: prev, heartbeatIntervalMs: interval } = input;
  if (last === null) return 'offline';
  const age = now - last;
  if (age > OFFLINE_AFTER_INTERVALS * interval) return 'offline';
  if (prev !== null && last - prev > OFFLINE_AFTER_INTERVALS * interval) return 'offline';
  if (age > ONLINE_GRACE_INTERVALS * interval) return 'suspect';
  return 'online';
}

/** How long one heartbeat vouches for the device: [receivedAt, receivedAt + coverage). */
export function coverageMs(intervalMs: number): number {
  return ONLINE_GRACE_INTERVALS * intervalMs;
}

/** The instant at which `livenessAt` will next change if no heartbeat arrives, or null if never. */
export function nextLivenessChangeAt(input: LivenessInput, now: number): number | null {
  const { lastHeartbeatAt: last, heartbeatIntervalMs: interval } = input;
  if (last === null) return null;
  const candidates = [last + ONLINE_GRACE_INTERVALS * interval, last + OFFLINE_AFTER_INTERVALS * interval];
  for (const at of candidates) if (at >= now) return at;
  return null;
}
