import { and, asc, getTableColumns, gte, inArray, is, lt, lte, SQL, sql } from 'drizzle-orm';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';
import type { Db } from '../client.ts';
import { type Device, devices, heartbeats, type NewHeartbeat } from '../schema/index.ts';
import { jsonChunks } from './chunks.ts';
import type { DeviceHeartbeatSnapshot } from './devices.ts';

/**
 * The heartbeat rows of a group commit, in one statement (per 500,000 characters): the rows travel as one JSON array
 * parameter that SQLite unpacks with `json_each`. That keeps within D1's 100 bound parameters without a
 * statement per five rows, and spares drizzle building SQL for every value (most of a flush's CPU time
 * before). Values are converted by each column's own mapping and defaults, as drizzle's insert does, so
 * the stored rows are the same.
 */
export function insertHeartbeatsQueries(db: Db, rows: NewHeartbeat[]) {
  const { insertable, names, values } = heartbeatInsertShape();
  const encoded = rows.map((row) =>
    JSON.stringify(
      insertable.map(([key, column]) => insertValue(column, (row as Record<string, unknown>)[key])),
    ),
  );
  return jsonChunks(encoded).map((chunk) =>
    db.run(sql`INSERT INTO ${heartbeats} (${names}) SELECT ${values} FROM json_each(${chunk})`),
  );
}

let insertShape: { insertable: [string, SQLiteColumn][]; names: SQL; values: SQL } | null = null;

/** The insertable columns of `heartbeats` and the SQL naming and extracting them (the same every flush). */
function heartbeatInsertShape() {
  if (insertShape) return insertShape;
  const insertable = Object.entries(getTableColumns(heartbeats) as Record<string, SQLiteColumn>).filter(
    ([, column]) => !column.generated,
  );
  const names = sql.join(
    insertable.map(([, column]) => sql.identifier(column.name)),
    sql`, `,
  );
  const values = sql.raw(insertable.map((_, i) => `json_extract(value, '$[${i}]')`).join(', '));
  insertShape = { insertable, names, values };
  return insertShape;
}

/**
 * Each device's new heartbeat snapshot, in one statement per set of columns (`UPDATE … FROM json_each`)
 * instead of one per device; the columns set and their values are those `db.update(devices).set(snapshot)`
 * would write.
 */
export function updateDeviceSnapshotsQueries(db: Db, snapshots: { id: string; snapshot: Partial<Device> }[]) {
  const all = getTableColumns(devices) as Record<string, SQLiteColumn>;
  const latest = new Map(snapshots.map((s) => [s.id, s.snapshot])); // one row per device
  const groups = new Map<string, { keys: string[]; rows: string[] }>();
  for (const [id, snapshot] of latest) {
    const keys = Object.keys(all).filter(
      (k) => (snapshot as Record<string, unknown>)[k] !== undefined || all[k]!.onUpdateFn !== undefined,
    );
    const signature = keys.join(',');
    let group = groups.get(signature);
    if (!group) {
      group = { keys, rows: [] };
      groups.set(signature, group);
    }
    const values = keys.map((k) => updateValue(all[k]!, (snapshot as Record<string, unknown>)[k]));
    group.rows.push(JSON.stringify([id, ...values]));
  }
  return [...groups.values()].flatMap(({ keys, rows }) => {
    const set = sql.join(
      keys.map(
        (k, i) => sql`${sql.identifier(all[k]!.name)} = json_extract(s.value, ${sql.raw(`'$[${i + 1}]'`)})`,
      ),
      sql`, `,
    );
    return jsonChunks(rows).map((chunk) =>
      db.run(
        sql`UPDATE ${devices} SET ${set} FROM json_each(${chunk}) AS s WHERE ${devices}.${sql.identifier(devices.id.name)} = json_extract(s.value, '$[0]')`,
      ),
    );
  });
}

/** A value as drizzle's insert binds it: the column's default when undefined, else its driver mapping. */
function insertValue(column: SQLiteColumn, value: unknown): string | number | null {
  if (value === undefined) {
    if (column.default !== undefined && column.default !== null) return jsonValue(column, column.default);
    if (column.defaultFn !== undefined) return jsonValue(column, column.defaultFn());
    if (column.onUpdateFn !== undefined) return jsonValue(column, column.onUpdateFn());
    return null;
  }
  return jsonValue(column, value);
}

/** A value as drizzle's update binds it (`onUpdateFn` for a column left undefined). */
function updateValue(column: SQLiteColumn, value: unknown): string | number | null {
  if (value === undefined && column.onUpdateFn !== undefined) return jsonValue(column, column.onUpdateFn());
  return jsonValue(column, value);
}

/**
 * The driver value of `value`, as it would be bound, ready to travel in JSON: SQLite's `json_extract`
 * gives back the same text, integer or null. Strings lose lone surrogates to U+FFFD as they do when
 * bound; numbers must be finite, as binding requires. (No column written here holds a non-integer
 * number, whose digits SQLite's JSON parser would read back.)
 */
function jsonValue(column: SQLiteColumn, value: unknown): string | number | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'object' && is(value, SQL))
    throw new TypeError(`${column.name}: an SQL expression cannot travel as JSON`);
  const driver = column.mapToDriverValue(value);
  if (driver === null || driver === undefined) return null;
  if (typeof driver === 'string') return driver.toWellFormed();
  if (typeof driver === 'number') {
    if (!Number.isFinite(driver)) throw new RangeError(`${column.name}: ${driver} cannot be stored`);
    return driver;
  }
  if (typeof driver === 'boolean') return driver ? 1 : 0;
  throw new TypeError(`${column.name}: a ${typeof driver} cannot travel as JSON`);
}

/** The snapshot columns a flush reads, by key. All are plain text or integer columns. */
const SNAPSHOT_COLUMNS = {
  id: devices.id,
  lastHeartbeatAt: devices.lastHeartbeatAt,
  prevHeartbeatAt: devices.prevHeartbeatAt,
  coverageEndAt: devices.coverageEndAt,
  lastRunId: devices.lastRunId,
  lastBootId: devices.lastBootId,
  lastSeq: devices.lastSeq,
  lastGapKind: devices.lastGapKind,
  clockSkewMs: devices.clockSkewMs,
  appVersion: devices.appVersion,
  heartbeatIntervalMs: devices.heartbeatIntervalMs,
  livenessState: devices.livenessState,
  livenessChangedAt: devices.livenessChangedAt,
} satisfies Record<keyof DeviceHeartbeatSnapshot | 'id', SQLiteColumn>;
const SNAPSHOT_KEYS = Object.keys(SNAPSHOT_COLUMNS) as (keyof typeof SNAPSHOT_COLUMNS)[];
const SNAPSHOT_ARRAY = sql.join(
  Object.values(SNAPSHOT_COLUMNS).map((c) => sql.identifier(c.name)),
  sql`, `,
);

/**
 * What a flush of heartbeats reads of each device: the snapshot columns, not the whole row, with the ids
 * as one JSON parameter (any number of devices within D1's parameter limit). The rows come back as one
 * JSON array: one value to decode instead of a result row object per device (most of this read's time
 * was the driver building those).
 */
export async function findHeartbeatSnapshots(
  db: Db,
  ids: string[],
): Promise<(DeviceHeartbeatSnapshot & { id: string })[]> {
  if (ids.length === 0) return [];
  const [row] = await db.all<{ rows: string | null }>(
    sql`SELECT json_group_array(json_array(${SNAPSHOT_ARRAY})) AS rows FROM ${devices}
        WHERE ${devices.id} IN (SELECT value FROM json_each(${JSON.stringify(ids)}))`,
  );
  const arrays = JSON.parse(row?.rows ?? '[]') as unknown[][];
  return arrays.map((values) => {
    const snapshot: Record<string, unknown> = {};
    for (let i = 0; i < SNAPSHOT_KEYS.length; i++) snapshot[SNAPSHOT_KEYS[i]!] = values[i];
    return snapshot as DeviceHeartbeatSnapshot & { id: string };
  });
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
