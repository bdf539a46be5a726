import type { Liveness } from '@lifeline/db/schema';
import type { HeartbeatBody } from '../contract/heartbeat.ts';

export type HealthStatus = 'pass' | 'warn' | 'fail';
export type HealthReasonCode = 'agent_down' | 'engine_down' | 'sms_path_down' | 'degraded';

export interface HealthReason {
  code: HealthReasonCode;
  status: HealthStatus;
  message: string;
}

export interface DeviceHealth {
  status: HealthStatus;
  reasons: HealthReason[];
}

/** Documented thresholds for the reasons a device is unhealthy. */
export const HEALTH_THRESHOLDS = {
  lowBatteryPct: 20,
  weakSignalDbm: -110,
  hotBatteryC: 45,
  /** Messages pending with no successful send for this long: the SMS path is down. */
  smsPathStallS: 10 * 60,
  /** The oldest pending message waiting this long: the queue is not draining. */
  backlogAgeS: 5 * 60,
} as const;

/**
 * Why a device is unhealthy, each reason separately (worst one wins the overall status):
 * `agent_down` (no heartbeats), `engine_down` (its SMS engine fails health), `sms_path_down` (pending
 * messages, no successful send for too long), `degraded` (battery low and not charging, weak signal,
 * overheating, a backlog that is not draining).
 */
export function deviceHealth(liveness: Liveness, health: HeartbeatBody | null, now: number): DeviceHealth {
  const reasons: HealthReason[] = [];
  if (liveness === 'offline') reasons.push({ code: 'agent_down', status: 'fail', message: 'No heartbeats.' });
  if (liveness === 'suspect')
    reasons.push({ code: 'agent_down', status: 'warn', message: 'Heartbeats are late.' });
  if (health && liveness !== 'offline') reasons.push(...reasonsFromHeartbeat(health, now));
  return { status: worst(reasons.map((r) => r.status)), reasons };
}

function reasonsFromHeartbeat(h: HeartbeatBody, now: number): HealthReason[] {
  const t = HEALTH_THRESHOLDS;
  const reasons: HealthReason[] = [];
  if (h.driver.status === 'fail') {
    reasons.push({
      code: 'engine_down',
      status: 'fail',
      message: `SMS engine ${h.driver.name} fails its health check.`,
    });
  }
  const pending = h.queue.depth > 0;
  const lastSuccessAgeS = h.lastSendSuccessAt == null ? null : (now - h.lastSendSuccessAt) / 1000;
  const oldest = h.queue.oldestPendingAgeS ?? 0;
  if (
    pending &&
    oldest >= t.smsPathStallS &&
    (lastSuccessAgeS === null || lastSuccessAgeS >= t.smsPathStallS)
  ) {
    reasons.push({
      code: 'sms_path_down',
      status: 'fail',
      message: `${h.queue.depth} messages pending and no successful send for ${Math.round(oldest / 60)} min.`,
    });
  } else if (pending && oldest >= t.backlogAgeS) {
    reasons.push({ code: 'degraded', status: 'warn', message: `Oldest pending message waits ${oldest} s.` });
  }
  if (h.battery && h.battery.percent < t.lowBatteryPct && !h.battery.charging) {
    reasons.push({
      code: 'degraded',
      status: 'warn',
      message: `Battery ${h.battery.percent} % and not charging.`,
    });
  }
  if (h.battery?.temperatureC !== undefined && h.battery.temperatureC >= t.hotBatteryC) {
    reasons.push({ code: 'degraded', status: 'warn', message: `Battery at ${h.battery.temperatureC} °C.` });
  }
  const signals = h.sims.map((s) => s.signalDbm).filter((s): s is number => typeof s === 'number');
  if (signals.length > 0 && Math.max(...signals) <= t.weakSignalDbm) {
    reasons.push({ code: 'degraded', status: 'warn', message: `Weak signal (${Math.max(...signals)} dBm).` });
  }
  return reasons;
}

function worst(statuses: HealthStatus[]): HealthStatus {
  if (statuses.includes('fail')) return 'fail';
  if (statuses.includes('warn')) return 'warn';
  return 'pass';
}
