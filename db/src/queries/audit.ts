import { and, desc, eq, lt, sql } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { type AuditEvent, auditEvents, type NewAuditEvent } from '../schema/index.ts';

export function insertAuditEvent(db: Db, event: NewAuditEvent) {
  return db.insert(auditEvents).values(event);
}

/** Records a change before it is made (its status still null); returns the row's number for `finishAuditEvent`. */
export async function beginAuditEvent(db: Db, event: Omit<NewAuditEvent, 'status'>): Promise<number> {
  const [row] = await db
    .insert(auditEvents)
    .values({ ...event, status: null })
    .returning({ seq: auditEvents.seq });
  return row!.seq;
}

/** Completes a change's row with the answer's status. */
export function finishAuditEvent(db: Db, seq: number, status: number) {
  return db.update(auditEvents).set({ status }).where(eq(auditEvents.seq, seq));
}

/** A workspace's audit events, newest first, before the event numbered `beforeSeq` (the previous page's last). */
export function listAuditEvents(
  db: Db,
  workspaceId: string,
  opts: { limit: number; beforeSeq?: number },
): Promise<AuditEvent[]> {
  const conditions = [eq(auditEvents.workspaceId, workspaceId)];
  if (opts.beforeSeq !== undefined) conditions.push(lt(auditEvents.seq, opts.beforeSeq));
  return db
    .select()
    .from(auditEvents)
    .where(and(...conditions))
    .orderBy(desc(auditEvents.seq))
    .limit(opts.limit);
}

/** Deletes up to `limit` audit events from before `before`. */
export function pruneAuditEventsQuery(db: Db, before: number, limit: number) {
  return db.run(
    sql`DELETE FROM ${auditEvents} WHERE ${auditEvents.seq} IN (SELECT ${auditEvents.seq} FROM ${auditEvents} WHERE ${auditEvents.at} < ${before} LIMIT ${limit})`,
  );
}
