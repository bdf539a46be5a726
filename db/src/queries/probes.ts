import { and, asc, desc, eq, gte, inArray, isNull, lt, lte, or, sql } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { type Probe, type ProbeResult, platformRollups, probeResults, probes } from '../schema/index.ts';
import { deleteCanariesOfProbeQueries } from './canaries.ts';

export type NewProbe = typeof probes.$inferInsert;
export type ProbePatch = Partial<
  Pick<
    Probe,
    | 'name'
    | 'componentId'
    | 'config'
    | 'secretCiphertext'
    | 'intervalMs'
    | 'timeoutMs'
    | 'retries'
    | 'allowPrivate'
    | 'enabled'
    | 'nextRunAt'
    | 'updatedAt'
  >
>;

export async function insertProbe(db: Db, row: NewProbe): Promise<Probe> {
  const [out] = await db.insert(probes).values(row).returning();
  return out!;
}

/** A workspace's probes, oldest first, by keyset page. */
export function listProbes(
  db: Db,
  workspaceId: string,
  opts: { after?: string; limit?: number } = {},
): Promise<Probe[]> {
  return db
    .select()
    .from(probes)
    .where(
      and(eq(probes.workspaceId, workspaceId), opts.after ? sql`${probes.id} > ${opts.after}` : undefined),
    )
    .orderBy(asc(probes.id))
    .limit(opts.limit ?? 1_000);
}

export async function findProbe(db: Db, workspaceId: string, id: string): Promise<Probe | undefined> {
  const [row] = await db
    .select()
    .from(probes)
    .where(and(eq(probes.workspaceId, workspaceId), eq(probes.id, id)));
  return row;
}

export async function countProbes(db: Db, workspaceId: string): Promise<number> {
  const [row] = await db
    .select({ n: sql<number>`count(*)` })
    .from(probes)
    .where(eq(probes.workspaceId, workspaceId));
  return Number(row?.n ?? 0);
}

export async function updateProbe(
  db: Db,
  workspaceId: string,
  id: string,
  patch: ProbePatch,
): Promise<Probe | undefined> {
  const [row] = await db
    .update(probes)
    .set(patch)
    .where(and(eq(probes.workspaceId, workspaceId), eq(probes.id, id)))
    .returning();
  return row;
}

/** Deletes a probe, its results and its canaries; false when there is no such probe in this workspace. */
export async function deleteProbe(db: Db, workspaceId: string, id: string): Promise<boolean> {
  const found = await findProbe(db, workspaceId, id);
  if (!found) return false;
  await db.batch([
    db.delete(probeResults).where(eq(probeResults.probeId, id)),
    ...deleteCanariesOfProbeQueries(db, id),
    db.delete(probes).where(and(eq(probes.workspaceId, workspaceId), eq(probes.id, id))),
  ]);
  return true;
}

/** Every probe of a workspace, for component status and the `probe_down` rule. */
export function probesOfWorkspace(db: Db, workspaceId: string): Promise<Probe[]> {
  return db.select().from(probes).where(eq(probes.workspaceId, workspaceId));
}

/**
 * Claims up to `limit` due probes (every workspace): enabled, `nextRunAt` passed, not leased by a run in
 * progress. The lease lasts as long as the probe's attempts can (plus a minute), so a runner that dies
 * mid-run frees it; a finished run clears it. One statement, so two runners never claim the same probe.
 */
export function claimDueProbes(
  db: Db,
  now: number,
  limit: number,
  excludeIds: string[] = [],
): Promise<Probe[]> {
  const due = db
    .select({ id: probes.id })
    .from(probes)
    .where(
      and(
        eq(probes.enabled, true),
        lte(probes.nextRunAt, now),
        or(isNull(probes.leaseUntil), lt(probes.leaseUntil, now)),
        excludeIds.length > 0
          ? sql`${probes.id} NOT IN (SELECT value FROM json_each(${JSON.stringify(excludeIds)}))`
          : undefined,
      ),
    )
    .orderBy(asc(probes.nextRunAt))
    .limit(limit);
  return db
    .update(probes)
    .set({
      leaseUntil: sql`${now} + (${probes.retries} + 1) * (${probes.timeoutMs} + 2000) + 60000`,
    })
    .where(
      and(
        inArray(probes.id, due),
        or(isNull(probes.leaseUntil), lt(probes.leaseUntil, now)),
        lte(probes.nextRunAt, now),
      ),
    )
    .returning();
}

export interface ProbeOutcome {
  probeId: string;
  workspaceId: string;
  checkedAt: number;
  status: ProbeResult['status'];
  componentStatus: ProbeResult['componentStatus'];
  latencyMs: number | null;
  attempts: number;
  detail: string;
  data: Record<string, unknown> | null;
  nextRunAt: number;
}

/**
 * Records a run: its result row, the probe's last outcome (an unknown run keeps the last known component
 * status) and next run, and frees its lease.
 */
export function recordProbeOutcomeQueries(db: Db, o: ProbeOutcome) {
  const known = o.status !== 'unknown';
  return [
    db.insert(probeResults).values({
      probeId: o.probeId,
      workspaceId: o.workspaceId,
      checkedAt: o.checkedAt,
      status: o.status,
      componentStatus: o.componentStatus,
      latencyMs: o.latencyMs,
      attempts: o.attempts,
      detail: o.detail,
      data: o.data,
    }),
    db
      .update(probes)
      .set({
        lastStatus: o.status,
        lastCheckedAt: o.checkedAt,
        lastDetail: o.detail,
        ...(known ? { lastComponentStatus: o.componentStatus, lastKnownAt: o.checkedAt } : {}),
        nextRunAt: o.nextRunAt,
        leaseUntil: null,
      })
      .where(eq(probes.id, o.probeId)),
  ];
}

/** A probe's results, newest first, by keyset page (`before` a result id). */
export function listProbeResults(
  db: Db,
  workspaceId: string,
  probeId: string,
  opts: { before?: number; limit: number },
): Promise<ProbeResult[]> {
  return db
    .select()
    .from(probeResults)
    .where(
      and(
        eq(probeResults.workspaceId, workspaceId),
        eq(probeResults.probeId, probeId),
        opts.before !== undefined ? lt(probeResults.id, opts.before) : undefined,
      ),
    )
    .orderBy(desc(probeResults.id))
    .limit(opts.limit);
}

/**
 * The latency and status of some probes' runs since `since`, oldest first (the admin list's small charts):
 * a seek per probe on (probe_id, checked_at).
 */
export function probeLatencySince(db: Db, workspaceId: string, probeIds: string[], since: number) {
  if (probeIds.length === 0) return Promise.resolve([]);
  return db
    .select({
      probeId: probeResults.probeId,
      checkedAt: probeResults.checkedAt,
      latencyMs: probeResults.latencyMs,
      status: probeResults.status,
    })
    .from(probeResults)
    .where(
      and(
        sql`${probeResults.probeId} IN (SELECT value FROM json_each(${JSON.stringify(probeIds)}))`,
        gte(probeResults.checkedAt, since),
        eq(probeResults.workspaceId, workspaceId),
      ),
    )
    .orderBy(asc(probeResults.checkedAt));
}

/** Deletes up to `limit` probe results checked before `before` (bounded, like heartbeats). */
export function pruneProbeResultsQuery(db: Db, before: number, limit: number) {
  return db.run(
    sql`DELETE FROM ${probeResults} WHERE ${probeResults.id} IN (SELECT ${probeResults.id} FROM ${probeResults} WHERE ${probeResults.checkedAt} < ${before} LIMIT ${limit})`,
  );
}

/**
 * Adds a self-probe run to the platform rollups (Layer 1) at every granularity, additively: one run per
 * minute, so `probes_ok / probes_total` is the share of probed minutes in which Lifeline answered and the
 * ingest API's 5xx share stayed under 1 %.
 */
export function addPlatformProbeQuery(
  db: Db,
  input: {
    buckets: { granularity: 'minute' | 'hour' | 'day'; bucketStart: number }[];
    ok: boolean;
    /** The ingest API's requests and 5xx answers of the minute before the run. */
    requests?: number;
    errors5xx?: number;
  },
) {
  return db
    .insert(platformRollups)
    .values(
      input.buckets.map((b) => ({
        scopeKey: 'platform',
        granularity: b.granularity,
        bucketStart: b.bucketStart,
        probesOk: input.ok ? 1 : 0,
        probesTotal: 1,
        requests: input.requests ?? 0,
        errors5xx: input.errors5xx ?? 0,
      })),
    )
    .onConflictDoUpdate({
      target: [platformRollups.scopeKey, platformRollups.granularity, platformRollups.bucketStart],
      set: {
        probesOk: sql`${platformRollups.probesOk} + excluded.probes_ok`,
        probesTotal: sql`${platformRollups.probesTotal} + excluded.probes_total`,
        requests: sql`${platformRollups.requests} + excluded.requests`,
        errors5xx: sql`${platformRollups.errors5xx} + excluded.errors_5xx`,
      },
    });
}
