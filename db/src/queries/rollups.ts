import { and, eq, inArray, or, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { deliveryRollups, type Granularity, platformRollups, uptimeRollups } from '../schema/index.ts';
import { chunkRows } from './chunks.ts';

export interface UptimeDelta {
  scopeKey: string;
  granularity: Granularity;
  bucketStart: number;
  onlineMs: number;
  heartbeats: number;
}

/** Additive upserts: never read-then-write, so concurrent writers cannot lose counts. */
export function addUptimeQueries(db: Db, rows: UptimeDelta[]) {
  return chunkRows(rows).map((chunk) =>
    db
      .insert(uptimeRollups)
      .values(chunk)
      .onConflictDoUpdate({
        target: [uptimeRollups.scopeKey, uptimeRollups.granularity, uptimeRollups.bucketStart],
        set: {
          onlineMs: sql`${uptimeRollups.onlineMs} + excluded.online_ms`,
          heartbeats: sql`${uptimeRollups.heartbeats} + excluded.heartbeats`,
        },
      }),
  );
}

export const deliveryOutcomes = [
  'delivered',
  'failed',
  'undelivered',
  'deliveryUnknown',
  'expired',
  'sentUnconfirmed',
] as const;
export type DeliveryOutcome = (typeof deliveryOutcomes)[number];
export type DeliveryDelta = Partial<Record<DeliveryOutcome, number>>;

const DELIVERY_COLUMNS: Record<DeliveryOutcome, string> = {
  delivered: 'delivered',
  failed: 'failed',
  undelivered: 'undelivered',
  deliveryUnknown: 'delivery_unknown',
  expired: 'expired',
  sentUnconfirmed: 'sent_unconfirmed',
};

/**
 * Adds outcome counts to each scope's bucket at one granularity, only if `guard` holds (the transition
 * that produced the outcome won its compare-and-set in the same batch).
 */
export function addDeliveryQuery(
  db: Db,
  input: {
    scopeKeys: string[];
    granularity: Granularity;
    bucketStart: number;
    delta: DeliveryDelta;
    guard: SQL;
  },
) {
  const values = deliveryOutcomes.map((o) => input.delta[o] ?? 0);
  const rows = sql.join(
    input.scopeKeys.map(
      (key) =>
        sql`SELECT ${key} AS k, ${input.granularity} AS g, ${input.bucketStart} AS b, ${sql.join(
          values.map((v) => sql`${v}`),
          sql`, `,
        )}`,
    ),
    sql` UNION ALL `,
  );
  const columns = sql.raw(deliveryOutcomes.map((o) => DELIVERY_COLUMNS[o]).join(', '));
  const updates = sql.raw(
    deliveryOutcomes
      .map((o) => `${DELIVERY_COLUMNS[o]} = ${DELIVERY_COLUMNS[o]} + excluded.${DELIVERY_COLUMNS[o]}`)
      .join(', '),
  );
  return db.run(sql`
    INSERT INTO ${deliveryRollups} (scope_key, granularity, bucket_start, ${columns})
    SELECT * FROM (${rows}) WHERE ${input.guard}
    ON CONFLICT (scope_key, granularity, bucket_start) DO UPDATE SET ${updates}`);
}

export interface RangePart {
  granularity: Granularity;
  from: number;
  to: number;
}

function rangeWhere(table: typeof uptimeRollups | typeof deliveryRollups, parts: RangePart[]): SQL {
  return or(
    ...parts.map(
      (p) =>
        sql`(${table.granularity} = ${p.granularity} AND ${table.bucketStart} >= ${p.from} AND ${table.bucketStart} < ${p.to})`,
    ),
  )!;
}

/** Summed uptime per scope over a range given as bucket parts (see decomposeRange). */
export async function sumUptime(db: Db, scopeKeys: string[], parts: RangePart[]) {
  if (scopeKeys.length === 0 || parts.length === 0)
    return new Map<string, { onlineMs: number; heartbeats: number }>();
  const rows = await db
    .select({
      scopeKey: uptimeRollups.scopeKey,
      onlineMs: sql<number>`sum(${uptimeRollups.onlineMs})`,
      heartbeats: sql<number>`sum(${uptimeRollups.heartbeats})`,
    })
    .from(uptimeRollups)
    .where(and(inArray(uptimeRollups.scopeKey, scopeKeys), rangeWhere(uptimeRollups, parts)))
    .groupBy(uptimeRollups.scopeKey);
  return new Map(
    rows.map((r) => [r.scopeKey, { onlineMs: Number(r.onlineMs), heartbeats: Number(r.heartbeats) }]),
  );
}

export type DeliveryCounts = Record<DeliveryOutcome, number>;

export function emptyDeliveryCounts(): DeliveryCounts {
  return { delivered: 0, failed: 0, undelivered: 0, deliveryUnknown: 0, expired: 0, sentUnconfirmed: 0 };
}

/** Summed outcomes per scope over a range. */
export async function sumDelivery(db: Db, scopeKeys: string[], parts: RangePart[]) {
  const out = new Map<string, DeliveryCounts>();
  if (scopeKeys.length === 0 || parts.length === 0) return out;
  const rows = await db
    .select({
      scopeKey: deliveryRollups.scopeKey,
      delivered: sql<number>`sum(${deliveryRollups.delivered})`,
      failed: sql<number>`sum(${deliveryRollups.failed})`,
      undelivered: sql<number>`sum(${deliveryRollups.undelivered})`,
      deliveryUnknown: sql<number>`sum(${deliveryRollups.deliveryUnknown})`,
      expired: sql<number>`sum(${deliveryRollups.expired})`,
      sentUnconfirmed: sql<number>`sum(${deliveryRollups.sentUnconfirmed})`,
    })
    .from(deliveryRollups)
    .where(and(inArray(deliveryRollups.scopeKey, scopeKeys), rangeWhere(deliveryRollups, parts)))
    .groupBy(deliveryRollups.scopeKey);
  for (const r of rows) {
    const { scopeKey, ...counts } = r;
    out.set(
      scopeKey,
      Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, Number(v)])) as DeliveryCounts,
    );
  }
  return out;
}

/** One scope's buckets at one granularity, for charts and uptime bars. */
export function uptimeSeries(db: Db, scopeKey: string, granularity: Granularity, from: number, to: number) {
  return db
    .select()
    .from(uptimeRollups)
    .where(
      and(
        eq(uptimeRollups.scopeKey, scopeKey),
        eq(uptimeRollups.granularity, granularity),
        sql`${uptimeRollups.bucketStart} >= ${from} AND ${uptimeRollups.bucketStart} < ${to}`,
      ),
    )
    .orderBy(uptimeRollups.bucketStart);
}

export function deliverySeries(db: Db, scopeKey: string, granularity: Granularity, from: number, to: number) {
  return db
    .select()
    .from(deliveryRollups)
    .where(
      and(
        eq(deliveryRollups.scopeKey, scopeKey),
        eq(deliveryRollups.granularity, granularity),
        sql`${deliveryRollups.bucketStart} >= ${from} AND ${deliveryRollups.bucketStart} < ${to}`,
      ),
    )
    .orderBy(deliveryRollups.bucketStart);
}

export const scopeKeys = {
  workspace: (workspaceId: string) => `ws:${workspaceId}`,
  device: (deviceId: string) => `dev:${deviceId}`,
  sim: (deviceId: string, slot: number | null) => `sim:${deviceId}:${slot ?? -1}`,
  carrier: (workspaceId: string, carrier: string) => `carrier:${workspaceId}:${carrier}`,
  platform: 'platform',
};

/** Deletes rollup buckets that start before each granularity's cut-off. */
export function pruneRollupsQueries(db: Db, before: Record<Granularity, number>) {
  const tables = [uptimeRollups, deliveryRollups, platformRollups] as const;
  return tables.flatMap((t) =>
    (Object.entries(before) as [Granularity, number][]).map(([granularity, cutoff]) =>
      db.delete(t).where(and(eq(t.granularity, granularity), sql`${t.bucketStart} < ${cutoff}`)),
    ),
  );
}
