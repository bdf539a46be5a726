import {
  addUptimeQueries,
  type Db,
  type DeviceHeartbeatSnapshot,
  findHeartbeatSnapshots,
  insertHeartbeatsQueries,
  scopeKeys,
  type UptimeDelta,
  updateDeviceSnapshotsQueries,
} from '@lifeline/db';
import type { NewHeartbeat } from '@lifeline/db/schema';
import { bucketStartOf, GRANULARITIES, splitIntoBuckets } from '../domain/buckets.ts';
import { applyHeartbeat, type ReceivedHeartbeat } from '../domain/device-snapshot.ts';

export interface HeartbeatWrite extends ReceivedHeartbeat {
  deviceId: string;
  workspaceId: string;
}

/**
 * Writes a batch of heartbeats in one transaction: the raw rows, each device's new snapshot, and the
 * online time they add to the device's and the workspace's uptime rollups (additive upserts). Reads the
 * devices' snapshots first; on Node a single group-commit writer is the only writer of these columns, and
 * on the edge each device sends its heartbeats one after another.
 */
export function createHeartbeatFlush(db: Db) {
  return async function flushHeartbeats(items: HeartbeatWrite[]): Promise<void> {
    const ids = [...new Set(items.map((i) => i.deviceId))];
    const current = new Map<string, DeviceHeartbeatSnapshot>();
    for (const { id, ...snapshot } of await findHeartbeatSnapshots(db, ids)) current.set(id, snapshot);
    const latestBody = new Map<string, HeartbeatWrite['body']>();
    const rows: NewHeartbeat[] = [];
    const uptime = new UptimeAccumulator();
    for (const item of [...items].sort((a, b) => a.receivedAt - b.receivedAt)) {
      const prev = current.get(item.deviceId);
      if (!prev) continue; // the device was deleted between authentication and flush
      const { snapshot, gapKind, onlineAdded } = applyHeartbeat(prev, item);
      current.set(item.deviceId, snapshot);
      if (snapshot.lastHeartbeatAt === item.receivedAt) latestBody.set(item.deviceId, item.body);
      rows.push(toRow(item, gapKind));
      const scopes = [scopeKeys.device(item.deviceId), scopeKeys.workspace(item.workspaceId)];
      uptime.addHeartbeat(scopes, item.receivedAt);
      if (onlineAdded) uptime.addOnline(scopes, onlineAdded);
    }
    if (rows.length === 0) return;
    // The body of each device's latest heartbeat becomes its last health.
    const snapshots = ids
      .filter((id) => current.has(id))
      .map((id) => ({ id, snapshot: { ...current.get(id)!, lastHealth: latestBody.get(id) } }));
    const [first, ...rest] = [
      ...insertHeartbeatsQueries(db, rows),
      ...updateDeviceSnapshotsQueries(db, snapshots),
      ...addUptimeQueries(db, uptime.rows()),
    ];
    await db.batch([first!, ...rest]);
  };
}

/** Sums uptime deltas per (scope, granularity, bucket) so a batch writes each bucket once. */
class UptimeAccumulator {
  readonly #rows = new Map<string, UptimeDelta>();

  #row(scopeKey: string, granularity: UptimeDelta['granularity'], bucketStart: number): UptimeDelta {
    const key = `${scopeKey}|${granularity}|${bucketStart}`;
    let row = this.#rows.get(key);
    if (!row) {
      row = { scopeKey, granularity, bucketStart, onlineMs: 0, heartbeats: 0 };
      this.#rows.set(key, row);
    }
    return row;
  }

  addHeartbeat(scopes: string[], at: number): void {
    for (const scope of scopes)
      for (const g of GRANULARITIES) this.#row(scope, g, bucketStartOf(at, g)).heartbeats++;
  }

  addOnline(scopes: string[], interval: { start: number; end: number }): void {
    for (const scope of scopes) {
      for (const g of GRANULARITIES) {
        for (const part of splitIntoBuckets(interval, g))
          this.#row(scope, g, part.bucketStart).onlineMs += part.ms;
      }
    }
  }

  rows(): UptimeDelta[] {
    return [...this.#rows.values()];
  }
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
