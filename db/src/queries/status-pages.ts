import { and, asc, desc, eq, gte, inArray, isNull, lt, sql } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { newId } from '../ids.ts';
import {
  deliveryRollups,
  type Granularity,
  heartbeats,
  type Maintenance,
  maintenances,
  platformRollups,
  uptimeRollups,
  type Workspace,
  workspaces,
} from '../schema/index.ts';
import { announceQueries } from './status-subscribers.ts';

/** The workspace shown at `/`: the one with slug `default`, else the oldest. */
export async function defaultWorkspace(db: Db): Promise<Workspace | undefined> {
  const [row] = await db
    .select()
    .from(workspaces)
    .orderBy(sql`${workspaces.slug} = 'default' DESC`, asc(workspaces.createdAt))
    .limit(1);
  return row;
}

export interface DeliveryBucket {
  scopeKey: string;
  bucketStart: number;
  delivered: number;
  failed: number;
  undelivered: number;
  deliveryUnknown: number;
  expired: number;
  sentUnconfirmed: number;
}

/**
 * Buckets of many scopes at one granularity in one query (the status page reads 90 days of 50 carriers).
 * One row per scope, its buckets packed by SQLite into one JSON array of arrays: moving 4,000 small rows
 * through the client costs more than the query itself, and SQLite writes JSON numbers faster than it
 * concatenates strings (and `JSON.parse` reads them faster than splitting).
 */
export async function deliverySeriesMany(
  db: Db,
  scopeKeys: string[],
  granularity: Granularity,
  from: number,
  to: number,
): Promise<DeliveryBucket[]> {
  if (scopeKeys.length === 0) return [];
  const r = deliveryRollups;
  const rows = await db
    .select({
      scopeKey: r.scopeKey,
      packed: sql<string>`json_group_array(json_array(${r.bucketStart}, ${r.delivered}, ${r.failed}, ${r.undelivered}, ${r.deliveryUnknown}, ${r.expired}, ${r.sentUnconfirmed}))`,
    })
    .from(r)
    .where(
      and(
        inArray(r.scopeKey, scopeKeys),
        eq(r.granularity, granularity),
        gte(r.bucketStart, from),
        lt(r.bucketStart, to),
      ),
    )
    .groupBy(r.scopeKey);
  const out: DeliveryBucket[] = [];
  for (const row of rows) {
    if (!row.packed) continue;
    const buckets = JSON.parse(row.packed) as [number, number, number, number, number, number, number][];
    for (const [
      bucketStart,
      delivered,
      failed,
      undelivered,
      deliveryUnknown,
      expired,
      sentUnconfirmed,
    ] of buckets)
      out.push({
        scopeKey: row.scopeKey,
        bucketStart,
        delivered,
        failed,
        undelivered,
        deliveryUnknown,
        expired,
        sentUnconfirmed,
      });
  }
  return out;
}

/** Layer 1 per day: the self-probes' ok and total runs in each day bucket of [from, to). */
export function platformDays(db: Db, from: number, to: number) {
  return db
    .select({
      bucketStart: platformRollups.bucketStart,
      probesOk: platformRollups.probesOk,
      probesTotal: platformRollups.probesTotal,
    })
    .from(platformRollups)
    .where(
      and(
        eq(platformRollups.scopeKey, 'platform'),
        eq(platformRollups.granularity, 'day'),
        gte(platformRollups.bucketStart, from),
        lt(platformRollups.bucketStart, to),
      ),
    );
}

export function uptimeSeriesMany(
  db: Db,
  scopeKeys: string[],
  granularity: Granularity,
  from: number,
  to: number,
) {
  if (scopeKeys.length === 0) return Promise.resolve([]);
  return db
    .select()
    .from(uptimeRollups)
    .where(
      and(
        inArray(uptimeRollups.scopeKey, scopeKeys),
        eq(uptimeRollups.granularity, granularity),
        gte(uptimeRollups.bucketStart, from),
        lt(uptimeRollups.bucketStart, to),
      ),
    );
}

/** Maintenance windows of a workspace that end after `since` (current and upcoming), soonest first. */
export function maintenancesEndingAfter(db: Db, workspaceId: string, since: number) {
  return db
    .select()
    .from(maintenances)
    .where(
      and(
        eq(maintenances.workspaceId, workspaceId),
        isNull(maintenances.cancelledAt),
        gte(maintenances.endsAt, since),
      ),
    )
    .orderBy(asc(maintenances.startsAt));
}

/** Every maintenance window of a workspace, newest first (admin list and history). */
export function listMaintenances(db: Db, workspaceId: string, limit: number) {
  return db
    .select()
    .from(maintenances)
    .where(eq(maintenances.workspaceId, workspaceId))
    .orderBy(desc(maintenances.startsAt))
    .limit(limit);
}

export async function findMaintenance(db: Db, workspaceId: string, id: string) {
  const [row] = await db
    .select()
    .from(maintenances)
    .where(and(eq(maintenances.workspaceId, workspaceId), eq(maintenances.id, id)));
  return row;
}

export async function insertMaintenance(
  db: Db,
  input: Omit<Maintenance, 'id' | 'createdAt' | 'cancelledAt'>,
  now: number,
): Promise<Maintenance> {
  const row: Maintenance = { ...input, id: newId('mnt', now), createdAt: now, cancelledAt: null };
  await db.batch([
    db.insert(maintenances).values(row),
    ...announceQueries(db, {
      workspaceId: row.workspaceId,
      kind: 'maintenance_scheduled',
      maintenanceId: row.id,
      now,
    }),
  ]);
  return row;
}

/**
 * Changes a maintenance window, telling the subscribers in the same batch when it is cancelled before its
 * end or moved (a new start or end) while it has not ended.
 */
export async function updateMaintenance(
  db: Db,
  workspaceId: string,
  id: string,
  patch: Partial<
    Pick<Maintenance, 'title' | 'description' | 'startsAt' | 'endsAt' | 'componentIds' | 'cancelledAt'>
  >,
  now: number = patch.cancelledAt ?? Date.now(),
) {
  const where = and(eq(maintenances.workspaceId, workspaceId), eq(maintenances.id, id));
  const [current] = await db.select().from(maintenances).where(where);
  if (!current) return undefined;
  const live = current.cancelledAt === null;
  const cancelling = live && patch.cancelledAt != null && current.endsAt > patch.cancelledAt;
  const moved =
    live &&
    patch.cancelledAt == null &&
    ((patch.startsAt !== undefined && patch.startsAt !== current.startsAt) ||
      (patch.endsAt !== undefined && patch.endsAt !== current.endsAt)) &&
    Math.max(current.endsAt, patch.endsAt ?? current.endsAt) > now;
  const kind = cancelling ? 'maintenance_cancelled' : moved ? 'maintenance_rescheduled' : null;
  const [[row]] = await db.batch([
    db.update(maintenances).set(patch).where(where).returning(),
    ...(kind ? announceQueries(db, { workspaceId, kind, maintenanceId: id, now }) : []),
  ]);
  return row;
}

/** A device's heartbeats in [from, to), oldest first: battery, signal and queue for the admin charts. */
export function deviceHeartbeatSamples(db: Db, deviceId: string, from: number, to: number, limit: number) {
  return db
    .select({
      at: heartbeats.receivedAt,
      batteryPercent: heartbeats.batteryPct,
      signalDbm: heartbeats.signalDbm,
      queueDepth: heartbeats.queueDepth,
    })
    .from(heartbeats)
    .where(
      and(eq(heartbeats.deviceId, deviceId), gte(heartbeats.receivedAt, from), lt(heartbeats.receivedAt, to)),
    )
    .orderBy(asc(heartbeats.receivedAt))
    .limit(limit);
}
