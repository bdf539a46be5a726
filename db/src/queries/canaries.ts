import { and, desc, eq, inArray, isNull, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { messageEvents, messages, type SmsCanary, smsCanaries } from '../schema/index.ts';

export type NewSmsCanary = typeof smsCanaries.$inferInsert;

/** A probe's newest canary with its message (null when the message is gone). */
export async function latestCanaryOfProbe(db: Db, probeId: string) {
  const [row] = await db
    .select({ canary: smsCanaries, message: messages })
    .from(smsCanaries)
    .leftJoin(messages, eq(messages.id, smsCanaries.messageId))
    .where(eq(smsCanaries.probeId, probeId))
    .orderBy(desc(smsCanaries.createdAt), desc(smsCanaries.id))
    .limit(1);
  return row;
}

export function insertCanaryQuery(db: Db, row: NewSmsCanary) {
  return db.insert(smsCanaries).values(row);
}

export function markCanaryJudgedQuery(db: Db, id: string, now: number) {
  return db.update(smsCanaries).set({ judgedAt: now }).where(eq(smsCanaries.id, id));
}

export interface CanaryReception {
  nonce: string;
  from: string;
  deviceReceivedAt: number;
  simSlot: number | null;
}

/**
 * Records that a phone received canaries, once each: only canaries of its workspace addressed to it, and
 * only the first report. Returns the nonces recorded now and the nonces that had been recorded before;
 * any other nonce is not this device's to report.
 */
export async function recordCanaryReceptions(
  db: Db,
  input: { workspaceId: string; deviceId: string; receptions: CanaryReception[]; now: number },
): Promise<{ recorded: Set<string>; duplicate: Set<string> }> {
  const { workspaceId, deviceId, now } = input;
  const mine = (nonce: string) =>
    and(
      eq(smsCanaries.nonce, nonce),
      eq(smsCanaries.workspaceId, workspaceId),
      eq(smsCanaries.toDeviceId, deviceId),
    );
  const updates = input.receptions.map((r) =>
    db
      .update(smsCanaries)
      .set({
        receivedAt: now,
        deviceReceivedAt: r.deviceReceivedAt,
        receivedFrom: r.from,
        receivedSimSlot: r.simSlot,
      })
      .where(and(mine(r.nonce), isNull(smsCanaries.receivedAt)))
      .returning({ nonce: smsCanaries.nonce }),
  );
  const recorded = new Set<string>();
  const [first, ...rest] = updates;
  if (first) for (const rows of await db.batch([first, ...rest])) for (const r of rows) recorded.add(r.nonce);
  const others = input.receptions.map((r) => r.nonce).filter((n) => !recorded.has(n));
  const duplicate = new Set<string>();
  if (others.length > 0) {
    const seen = await db
      .select({ nonce: smsCanaries.nonce })
      .from(smsCanaries)
      .where(
        and(
          inArray(smsCanaries.nonce, others),
          eq(smsCanaries.workspaceId, workspaceId),
          eq(smsCanaries.toDeviceId, deviceId),
        ),
      );
    for (const r of seen) duplicate.add(r.nonce);
  }
  return { recorded, duplicate };
}

/** A probe's canaries, newest first (for tests and the admin's look at a probe). */
export function listCanariesOfProbe(db: Db, probeId: string, limit = 100): Promise<SmsCanary[]> {
  return db
    .select()
    .from(smsCanaries)
    .where(eq(smsCanaries.probeId, probeId))
    .orderBy(desc(smsCanaries.createdAt), desc(smsCanaries.id))
    .limit(limit);
}

/** Deletes the canaries a subquery selects, then (in this order, in one batch) their message events and messages. */
function deleteCanariesQueries(db: Db, ids: SQL) {
  const messageIds = sql`(SELECT ${smsCanaries.messageId} FROM ${smsCanaries} WHERE ${smsCanaries.id} IN ${ids})`;
  return [
    db.run(sql`DELETE FROM ${messageEvents} WHERE ${messageEvents.messageId} IN ${messageIds}`),
    db.run(
      sql`DELETE FROM ${messages} WHERE ${messages.purpose} = 'canary' AND ${messages.id} IN ${messageIds}`,
    ),
    db.run(sql`DELETE FROM ${smsCanaries} WHERE ${smsCanaries.id} IN ${ids}`),
  ] as const;
}

/** Deletes a probe's canaries and their messages (batch items). */
export function deleteCanariesOfProbeQueries(db: Db, probeId: string) {
  return deleteCanariesQueries(
    db,
    sql`(SELECT ${smsCanaries.id} FROM ${smsCanaries} WHERE ${smsCanaries.probeId} = ${probeId})`,
  );
}

/** Deletes up to `limit` canaries created before `before`, with their messages (bounded, like probe results). */
export function pruneSmsCanariesQueries(db: Db, before: number, limit: number) {
  return deleteCanariesQueries(
    db,
    sql`(SELECT ${smsCanaries.id} FROM ${smsCanaries} WHERE ${smsCanaries.createdAt} < ${before} ORDER BY ${smsCanaries.createdAt}, ${smsCanaries.id} LIMIT ${limit})`,
  );
}
