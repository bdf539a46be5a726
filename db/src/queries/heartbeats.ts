import { and, asc, gte, inArray, lt, lte } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { heartbeats, type NewHeartbeat } from '../schema/index.ts';
import { chunkRows } from './chunks.ts';

export function insertHeartbeatsQueries(db: Db, rows: NewHeartbeat[]) {
  return chunkRows(rows).map((chunk) => db.insert(heartbeats).values(chunk));
}

export interface HeartbeatTime {
  deviceId: string;
  receivedAt: number;
  intervalMs: number;
}

/**
 * Receive times of the given devices' heartbeats that can cover any part of [from, to): those received
 * in [from - lookbackMs, to).
 */
export function heartbeatTimes(
  db: Db,
  deviceIds: string[],
  from: number,
  to: number,
  lookbackMs: number,
): Promise<HeartbeatTime[]> {
  if (deviceIds.length === 0) return Promise.resolve([]);
  return db
    .select({
      deviceId: heartbeats.deviceId,
      receivedAt: heartbeats.receivedAt,
      intervalMs: heartbeats.intervalMs,
    })
    .from(heartbeats)
    .where(
      and(
        inArray(heartbeats.deviceId, deviceIds),
        gte(heartbeats.receivedAt, from - lookbackMs),
        lt(heartbeats.receivedAt, to),
      ),
    )
    .orderBy(asc(heartbeats.deviceId), asc(heartbeats.receivedAt));
}

export function countHeartbeats(db: Db, until: number = Number.MAX_SAFE_INTEGER) {
  return db.$count(heartbeats, lte(heartbeats.receivedAt, until));
}
