import { and, asc, gte, inArray, lt, lte } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { heartbeats, type NewHeartbeat } from '../schema/index.ts';

/** SQLite allows 32,766 bound variables; one heartbeat row binds 21. */
const ROWS_PER_INSERT = 1_000;

export function insertHeartbeatsQueries(db: Db, rows: NewHeartbeat[]) {
  const queries = [];
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
    queries.push(db.insert(heartbeats).values(rows.slice(i, i + ROWS_PER_INSERT)));
  }
  return queries;
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
