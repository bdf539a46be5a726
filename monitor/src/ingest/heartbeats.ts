import {
  type Db,
  type DeviceHeartbeatSnapshot,
  findDevicesByIds,
  insertHeartbeatsQueries,
  updateDeviceSnapshotQuery,
} from '@lifeline/db';
import type { NewHeartbeat } from '@lifeline/db/schema';
import { applyHeartbeat, type ReceivedHeartbeat } from '../domain/device-snapshot.ts';

export interface HeartbeatWrite extends ReceivedHeartbeat {
  deviceId: string;
  workspaceId: string;
}

/**
 * Writes a batch of heartbeats in one transaction: the raw rows and each device's new snapshot.
 * Reads the devices' snapshots first; on Node a single group-commit writer is the only writer of these
 * columns, and on the edge each device sends its heartbeats one after another.
 */
export function createHeartbeatFlush(db: Db) {
  return async function flushHeartbeats(items: HeartbeatWrite[]): Promise<void> {
    const ids = [...new Set(items.map((i) => i.deviceId))];
    const current = new Map<string, DeviceHeartbeatSnapshot>();
    for (const d of await findDevicesByIds(db, ids)) current.set(d.id, d);
    const rows: NewHeartbeat[] = [];
    for (const item of items) {
      const prev = current.get(item.deviceId);
      if (!prev) continue; // the device was deleted between authentication and flush
      const { snapshot, gapKind } = applyHeartbeat(prev, item);
      current.set(item.deviceId, snapshot);
      rows.push(toRow(item, gapKind));
    }
    if (rows.length === 0) return;
    const updates = ids
      .filter((id) => current.has(id))
      .map((id) => updateDeviceSnapshotQuery(db, id, current.get(id)!));
    const [first, ...rest] = [...insertHeartbeatsQueries(db, rows), ...updates];
    await db.batch([first!, ...rest]);
  };
}

function toRow(item: HeartbeatWrite, gapKind: NewHeartbeat['gapKind']): NewHeartbeat {
  const b = item.body;
  const signals = b.sims.map((s) => s.signalDbm).filter((s): s is number => typeof s === 'number');
  return {
    workspaceId: item.workspaceId,
    deviceId: item.deviceId,
    receivedAt: item.receivedAt,
    intervalMs: item.intervalMs,
    deviceTime: b.deviceTime,
    runId: b.runId,
    bootId: b.bootId,
    seq: b.seq,
    monotonicMs: b.monotonicMs,
    gapKind,
    appVersion: b.appVersion,
    driverStatus: b.driver.status,
    batteryPct: b.battery ? Math.round(b.battery.percent) : null,
    charging: b.battery ? b.battery.charging : null,
    batteryTempC: b.battery?.temperatureC === undefined ? null : Math.round(b.battery.temperatureC),
    networkType: b.network?.type ?? null,
    signalDbm: signals.length > 0 ? Math.max(...signals) : null,
    queueDepth: b.queue.depth,
    oldestPendingAgeS: b.queue.oldestPendingAgeS ?? null,
    payload: b,
  };
}
