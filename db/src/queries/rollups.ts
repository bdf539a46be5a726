import { and, eq, inArray, or, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../client.ts';
import {
  deliveryRollups,
  type Granularity,
  granularities,
  platformRollups,
  uptimeRollups,
} from '../schema/index.ts';
import { jsonChunks } from './chunks.ts';

export interface UptimeDelta {
  scopeKey: string;
  granularity: Granularity;
  bucketStart: number;
  onlineMs: number;
  heartbeats: number;
}

/**
 * Additive upserts: never read-then-write, so concurrent writers cannot lose counts. The rows travel as
 * one JSON parameter (`json_each`), so a flush's few hundred buckets are one statement that drizzle need
 * not build value by value.
 */
export function addUptimeQueries(db: Db, rows: UptimeDelta[]) {
  const encoded = rows.map((r) =>
    JSON.stringify([r.scopeKey, r.granularity, r.bucketStart, r.onlineMs, r.heartbeats]),
  );
  return jsonChunks(encoded).map((chunk) =>
    db.run(sql`INSERT INTO ${uptimeRollups} (scope_key, granularity, bucket_start, online_ms, heartbeats)
      SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'),
             json_extract(value, '$[3]'), json_extract(value, '$[4]')
      FROM json_each(${chunk}) WHERE true
      ON CONFLICT (scope_key, granularity, bucket_start) DO UPDATE SET
        online_ms = online_ms + excluded.online_ms, heartbeats = heartbeats + excluded.heartbeats`),
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

/**
 * A range to sum, as bucket parts that do not overlap (a tiling, as `decomposeRange` makes); `sign` -1
 * subtracts (maintenance inside the range).
 */
export interface SignedParts {
  parts: RangePart[];
  sign: 1 | -1;
}

const UPTIME_COLUMNS = ['online_ms', 'heartbeats'] as const;
const DELIVERY_SQL_COLUMNS = deliveryOutcomes.map((o) => DELIVERY_COLUMNS[o]);
const PLATFORM_COLUMNS = ['probes_ok', 'probes_total', 'requests', 'errors_5xx'] as const;

/**
 * Sums of every counter, per scope and per range, in ONE query. Parts of different ranges overlap (the
 * days of 7 d lie inside those of 90 d), so their bounds cut the buckets into disjoint segments; each
 * segment is summed once per scope, by its own seek on the primary key (scope, granularity, bucket) and
 * its own `GROUP BY`, and the ranges are put together here from their signed parts' segments. Rather than
 * testing every row against every range's parts in a `CASE` per column, a 90-day page of 40 carriers'
 * four windows reads each row once and returns a few hundred sums.
 */
export async function sumRollupsByRange(
  db: Db,
  table: 'uptime' | 'delivery' | 'platform',
  scopeKeyList: string[],
  ranges: SignedParts[][],
): Promise<Map<string, number[][]>> {
  const out = new Map<string, number[][]>();
  if (scopeKeyList.length === 0 || ranges.length === 0) return out;
  const t = table === 'uptime' ? uptimeRollups : table === 'platform' ? platformRollups : deliveryRollups;
  const columns: readonly string[] =
    table === 'uptime' ? UPTIME_COLUMNS : table === 'platform' ? PLATFORM_COLUMNS : DELIVERY_SQL_COLUMNS;
  // Bucket bounds and granularities are written into the SQL as literals (checked integers and enum
  // values), so the only bound parameters are the scope keys' JSON: Cloudflare D1 allows 100 per query.
  const int = (n: number) => {
    if (!Number.isSafeInteger(n)) throw new Error(`Not an integer bucket bound: ${n}`);
    return sql.raw(String(n));
  };
  const gran = (g: RangePart['granularity']) => {
    if (!granularities.includes(g)) throw new Error(`Unknown granularity: ${g}`);
    return sql.raw(`'${g}'`);
  };
  // The parts' bounds cut each granularity's buckets into disjoint segments; every part is a run of
  // segments, so each row is read and summed once however many ranges it lies in.
  const bounds = new Map<RangePart['granularity'], number[]>();
  const allParts = ranges.flat().flatMap((x) => x.parts);
  for (const p of allParts) {
    const list = bounds.get(p.granularity) ?? [];
    list.push(p.from, p.to);
    bounds.set(p.granularity, list);
  }
  const segments: RangePart[] = [];
  const segmentAt = new Map<string, number>();
  for (const [granularity, list] of bounds) {
    const cuts = [...new Set(list)].sort((a, b) => a - b);
    for (let k = 0; k + 1 < cuts.length; k++) {
      const from = cuts[k]!;
      const to = cuts[k + 1]!;
      if (!allParts.some((p) => p.granularity === granularity && p.from <= from && to <= p.to)) continue;
      segmentAt.set(`${granularity}:${from}`, segments.length);
      segments.push({ granularity, from, to });
    }
  }
  if (segments.length === 0) return out;
  /** The segments that tile a part. */
  const segmentsOf = (p: RangePart) => {
    const list: number[] = [];
    for (let k = segmentAt.get(`${p.granularity}:${p.from}`)!; k < segments.length; k++) {
      const seg = segments[k]!;
      if (seg.granularity !== p.granularity || seg.from >= p.to) break;
      list.push(k);
    }
    return list;
  };
  // The scope keys travel as one JSON parameter per segment (json_each), so any number of scopes is one
  // query of a handful of parameters (D1 allows 100); SQLite still seeks the primary key per key. Each
  // segment's sums are tagged with its index.
  const keys = JSON.stringify(scopeKeyList);
  const sums = sql.join(
    columns.map((c, i) => sql`SUM(${sql.identifier(c)}) AS ${sql.identifier(`c${i}`)}`),
    sql`, `,
  );
  const rows = await db.all<Record<string, unknown>>(
    unionOf(
      segments.map(
        (p, i) =>
          sql`SELECT ${t.scopeKey} AS scope_key, ${sql.raw(String(i))} AS part, ${sums} FROM ${t} WHERE ${t.scopeKey} IN (SELECT value FROM json_each(${keys})) AND ${t.granularity} = ${gran(p.granularity)} AND ${t.bucketStart} >= ${int(p.from)} AND ${t.bucketStart} < ${int(p.to)} GROUP BY ${t.scopeKey}`,
      ),
    ),
  );
  // Per scope, each segment's sums; then each range as the signed sum of its parts' segments (a range's
  // parts tile it without overlapping, so their segments are distinct).
  const bySegment = new Map<string, (number[] | undefined)[]>();
  for (const row of rows) {
    const scope = String(row.scope_key);
    let perSegment = bySegment.get(scope);
    if (!perSegment) {
      perSegment = new Array(segments.length);
      bySegment.set(scope, perSegment);
    }
    perSegment[Number(row.part)] = columns.map((_, c) => Number(row[`c${c}`] ?? 0));
  }
  const signed = ranges.map((range) =>
    range.map((s) => ({ sign: s.sign, segments: s.parts.flatMap(segmentsOf) })),
  );
  for (const [scope, perSegment] of bySegment) {
    out.set(
      scope,
      signed.map((range) =>
        columns.map((_, c) => {
          let total = 0;
          for (const s of range) {
            let sum = 0;
            for (const k of s.segments) sum += perSegment[k]?.[c] ?? 0;
            total += s.sign * sum;
          }
          return total;
        }),
      ),
    );
  }
  return out;
}

/** Terms of one compound SELECT: D1 allows 5 ("too many terms in compound SELECT" beyond). */
const MAX_COMPOUND_TERMS = 5;

/**
 * `a UNION ALL b UNION ALL …` as a tree of compound SELECTs of at most 5 terms each (the rows are the
 * same), which D1 accepts whatever the number of terms.
 */
function unionOf(terms: SQL[]): SQL {
  const joiner = sql.raw(' UNION ALL ');
  let level = terms;
  while (level.length > MAX_COMPOUND_TERMS) {
    const next: SQL[] = [];
    for (let i = 0; i < level.length; i += MAX_COMPOUND_TERMS)
      next.push(sql`SELECT * FROM (${sql.join(level.slice(i, i + MAX_COMPOUND_TERMS), joiner)})`);
    level = next;
  }
  return sql.join(level, joiner);
}

/** Every carrier scope key of a workspace that has delivery rollups. */
export async function carrierScopeKeys(db: Db, workspaceId: string): Promise<string[]> {
  const prefix = `carrier:${workspaceId}:`;
  const rows = await db.all<{ k: string }>(
    sql`SELECT DISTINCT scope_key AS k FROM delivery_rollups WHERE granularity = 'day' AND scope_key >= ${prefix} AND scope_key < ${`${prefix}\uffff`}`,
  );
  return rows.map((r) => r.k);
}
