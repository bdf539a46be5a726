import { and, count, desc, eq, inArray, isNull, lt, or, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { type Webhook, type WebhookDelivery, webhookDeliveries, webhooks } from '../schema/index.ts';

export type WebhookPatch = Partial<
  Pick<Webhook, 'url' | 'description' | 'eventTypes' | 'disabledAt' | 'secretCiphertext'>
>;

export function insertWebhookQuery(db: Db, row: Webhook) {
  return db.insert(webhooks).values(row);
}

/** The workspace's webhooks, newest first (disabled ones included). */
export function listWebhooks(db: Db, workspaceId: string): Promise<Webhook[]> {
  return db
    .select()
    .from(webhooks)
    .where(eq(webhooks.workspaceId, workspaceId))
    .orderBy(desc(webhooks.createdAt), desc(webhooks.id));
}

export async function findWebhook(db: Db, workspaceId: string, id: string): Promise<Webhook | undefined> {
  const [row] = await db
    .select()
    .from(webhooks)
    .where(and(eq(webhooks.workspaceId, workspaceId), eq(webhooks.id, id)));
  return row;
}

export async function countEnabledWebhooks(db: Db, workspaceId: string): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(webhooks)
    .where(and(eq(webhooks.workspaceId, workspaceId), isNull(webhooks.disabledAt)));
  return row?.n ?? 0;
}

/** Changes a webhook of this workspace; undefined when there is no such webhook. */
export async function updateWebhook(
  db: Db,
  workspaceId: string,
  id: string,
  patch: WebhookPatch,
): Promise<Webhook | undefined> {
  const [row] = await db
    .update(webhooks)
    .set(patch)
    .where(and(eq(webhooks.workspaceId, workspaceId), eq(webhooks.id, id)))
    .returning();
  return row;
}

/** Webhooks by id, whatever their workspace: for the dispatcher, which checks each against its delivery. */
export function findWebhooksByIds(db: Db, ids: string[]): Promise<Webhook[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return db.select().from(webhooks).where(inArray(webhooks.id, ids));
}

export interface DeliveryFilter {
  status?: WebhookDelivery['status'];
  /** The last delivery of the previous page (newest first). */
  before?: { createdAt: number; id: string };
  limit: number;
}

/** A webhook's deliveries, newest first. */
export function listWebhookDeliveries(
  db: Db,
  workspaceId: string,
  webhookId: string,
  f: DeliveryFilter,
): Promise<WebhookDelivery[]> {
  const where: SQL[] = [
    eq(webhookDeliveries.workspaceId, workspaceId),
    eq(webhookDeliveries.webhookId, webhookId),
  ];
  if (f.status) where.push(eq(webhookDeliveries.status, f.status));
  if (f.before) {
    where.push(
      or(
        lt(webhookDeliveries.createdAt, f.before.createdAt),
        and(eq(webhookDeliveries.createdAt, f.before.createdAt), lt(webhookDeliveries.id, f.before.id)),
      )!,
    );
  }
  return db
    .select()
    .from(webhookDeliveries)
    .where(and(...where))
    .orderBy(desc(webhookDeliveries.createdAt), desc(webhookDeliveries.id))
    .limit(f.limit);
}

/** A claimed outbox row, with its payload exactly as stored. */
export interface ClaimedDelivery {
  id: string;
  workspaceId: string;
  webhookId: string;
  eventType: string;
  payload: string;
  dedupKey: string;
  attempts: number;
  deadlineAt: number;
  createdAt: number;
  /** Insertion order (SQLite rowid): orders the rows of one change batch written in the same millisecond. */
  seq: number;
}

const unlocked = (now: number) =>
  or(isNull(webhookDeliveries.lockedUntil), lt(webhookDeliveries.lockedUntil, now))!;

/**
 * Leases due deliveries to `owner` until `now + leaseMs`, in one statement, so two dispatchers (two
 * processes, or overlapping cron runs) never hold the same row. Fair across endpoints: rows of at most
 * `lanes` webhooks (those waiting longest), at most `perLane` rows each, skipping `excludeWebhookIds`
 * (endpoints busy or failing in this run).
 */
export function claimWebhookDeliveries(
  db: Db,
  input: {
    owner: string;
    now: number;
    leaseMs: number;
    lanes: number;
    perLane: number;
    excludeWebhookIds: string[];
  },
): Promise<ClaimedDelivery[]> {
  const { now } = input;
  const d = webhookDeliveries;
  // One JSON parameter however many are excluded (D1 allows 100 bound parameters per statement).
  const excluded = JSON.stringify(input.excludeWebhookIds);
  const candidates = sql`WITH due AS (
      SELECT ${d.id} AS id, ${d.webhookId} AS webhook_id, ${d.nextAttemptAt} AS next_at, ${d.createdAt} AS created_at, ${d}.rowid AS seq
      FROM ${d}
      WHERE ${d.status} = 'pending' AND ${d.nextAttemptAt} <= ${now}
        AND (${d.lockedUntil} IS NULL OR ${d.lockedUntil} < ${now})
        AND ${d.webhookId} NOT IN (SELECT value FROM json_each(${excluded}))
    ),
    lanes AS (
      SELECT webhook_id FROM due GROUP BY webhook_id ORDER BY MIN(next_at) LIMIT ${input.lanes}
    ),
    ranked AS (
      SELECT id, ROW_NUMBER() OVER (PARTITION BY webhook_id ORDER BY next_at, created_at, seq) AS rn
      FROM due WHERE webhook_id IN (SELECT webhook_id FROM lanes)
    )
    SELECT id FROM ranked WHERE rn <= ${input.perLane}`;
  return db
    .update(d)
    .set({ lockedBy: input.owner, lockedUntil: now + input.leaseMs })
    .where(and(sql`${d.id} IN (${candidates})`, eq(d.status, 'pending'), unlocked(now)))
    .returning({
      id: d.id,
      workspaceId: d.workspaceId,
      webhookId: d.webhookId,
      eventType: d.eventType,
      payload: sql<string>`${d.payload}`,
      dedupKey: d.dedupKey,
      attempts: d.attempts,
      deadlineAt: d.deadlineAt,
      createdAt: d.createdAt,
      seq: sql<number>`${d}.rowid`,
    });
}

/** Gives claimed rows back untouched (not attempted in this run). */
export async function releaseWebhookDeliveries(db: Db, owner: string, ids: string[]): Promise<void> {
  if (ids.length === 0) return;
  await db
    .update(webhookDeliveries)
    .set({ lockedBy: null, lockedUntil: null })
    .where(
      and(
        sql`${webhookDeliveries.id} IN (SELECT value FROM json_each(${JSON.stringify(ids)}))`,
        eq(webhookDeliveries.lockedBy, owner),
      ),
    );
}

export type DeliveryAttemptResult =
  | { status: 'delivered'; at: number; statusCode: number }
  | {
      status: 'pending' | 'dead';
      statusCode: number | null;
      error: string;
      /** When pending: the next attempt. */
      nextAttemptAt?: number;
    };

/**
 * Records one attempt of a row this owner holds, and releases it. Returns false when the lease was lost
 * (it lapsed and another dispatcher took the row), in which case nothing is written.
 */
export async function recordWebhookAttempt(
  db: Db,
  input: { id: string; owner: string; result: DeliveryAttemptResult },
): Promise<boolean> {
  const r = input.result;
  const set =
    r.status === 'delivered'
      ? {
          status: 'delivered' as const,
          deliveredAt: r.at,
          lastStatusCode: r.statusCode,
          lastError: null,
        }
      : {
          status: r.status,
          lastStatusCode: r.statusCode,
          lastError: r.error,
          ...(r.nextAttemptAt !== undefined ? { nextAttemptAt: r.nextAttemptAt } : {}),
        };
  const rows = await db
    .update(webhookDeliveries)
    .set({ ...set, attempts: sql`${webhookDeliveries.attempts} + 1`, lockedBy: null, lockedUntil: null })
    .where(
      and(
        eq(webhookDeliveries.id, input.id),
        eq(webhookDeliveries.lockedBy, input.owner),
        eq(webhookDeliveries.status, 'pending'),
      ),
    )
    .returning({ id: webhookDeliveries.id });
  return rows.length > 0;
}

/** Dead-letters a held row without an attempt (its webhook was disabled or is gone). */
export async function deadLetterWebhookDelivery(
  db: Db,
  input: { id: string; owner: string; error: string },
): Promise<boolean> {
  const rows = await db
    .update(webhookDeliveries)
    .set({ status: 'dead', lastError: input.error, lockedBy: null, lockedUntil: null })
    .where(
      and(
        eq(webhookDeliveries.id, input.id),
        eq(webhookDeliveries.lockedBy, input.owner),
        eq(webhookDeliveries.status, 'pending'),
      ),
    )
    .returning({ id: webhookDeliveries.id });
  return rows.length > 0;
}

/**
 * Dead-letters pending rows whose deadline has passed (not held by a dispatcher), keeping their last
 * error. Returns how many.
 */
export async function deadLetterExpiredWebhookDeliveries(
  db: Db,
  now: number,
  error: string,
): Promise<number> {
  const rows = await db
    .update(webhookDeliveries)
    .set({
      status: 'dead',
      lastError: sql`COALESCE(${webhookDeliveries.lastError}, ${error})`,
      lockedBy: null,
      lockedUntil: null,
    })
    .where(
      and(
        eq(webhookDeliveries.status, 'pending'),
        sql`${webhookDeliveries.deadlineAt} <= ${now}`,
        unlocked(now),
      ),
    )
    .returning({ id: webhookDeliveries.id });
  return rows.length;
}
