import { type Db, heartbeatTimes } from '@lifeline/db';
import type { Device } from '@lifeline/db/schema';
import type { DeviceView } from '../contract/devices.ts';
import type { HeartbeatBody } from '../contract/heartbeat.ts';
import { deviceHealth } from '../domain/health.ts';
import { coverageMs, livenessAt } from '../domain/liveness.ts';
import { type CoverInterval, ratio, unionLengthWithin } from '../domain/uptime.ts';

const DAY_MS = 86_400_000;
/** Longest heartbeat interval a workspace may set; a heartbeat covers at most 2.5 of them. */
export const MAX_HEARTBEAT_INTERVAL_MS = 10 * 60_000;

/** Devices as the API shows them: liveness and health at `now`, and uptime over the last 24 h. */
export async function deviceViews(db: Db, rows: Device[], now: number): Promise<DeviceView[]> {
  const from = now - DAY_MS;
  const times = await heartbeatTimes(
    db,
    rows.map((d) => d.id),
    from,
    now,
    coverageMs(MAX_HEARTBEAT_INTERVAL_MS),
  );
  const covers = new Map<string, CoverInterval[]>();
  for (const t of times) {
    let list = covers.get(t.deviceId);
    if (!list) {
      list = [];
      covers.set(t.deviceId, list);
    }
    list.push({ start: t.receivedAt, end: t.receivedAt + coverageMs(t.intervalMs) });
  }
  return rows.map((d) => toView(d, now, covers.get(d.id) ?? []));
}

function toView(d: Device, now: number, covers: CoverInterval[]): DeviceView {
  const liveness = d.status === 'active' ? livenessAt(d, now) : 'offline';
  const observed = {
    from: Math.max(now - DAY_MS, d.enrolledAt),
    to: Math.min(now, d.pausedAt ?? d.revokedAt ?? now),
  };
  const online = unionLengthWithin(covers, observed);
  const lastHealth = (d.lastHealth ?? null) as HeartbeatBody | null;
  return {
    id: d.id,
    name: d.name,
    status: d.status,
    weight: d.weight,
    group: d.groupName,
    simRatePerMinute: d.simRatePerMinute,
    simRatePerDay: d.simRatePerDay,
    enrolledAt: d.enrolledAt,
    pausedAt: d.pausedAt,
    liveness,
    lastSeenAt: d.lastHeartbeatAt,
    heartbeatIntervalS: d.heartbeatIntervalMs / 1000,
    appVersion: d.appVersion,
    clockSkewMs: d.clockSkewMs,
    lastGapKind: d.lastGapKind,
    health: deviceHealth(liveness, lastHealth, now),
    lastHealth,
    uptime24h: ratio(online, observed.to - observed.from),
  };
}
