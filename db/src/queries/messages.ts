import { and, asc, desc, eq, gte, inArray, isNull, lt, lte, ne, or, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../client.ts';
import {
  devices,
  type Message,
  type MessageState,
  messageEvents,
  messages,
  simUsageMinutes,
} from '../schema/index.ts';
import { chunkRows } from './chunks.ts';

export function findMessagesForReceipts(db: Db, workspaceId: string, ids: string[]) {
  if (ids.length === 0) return Promise.resolve([]);
  return db
    .select()
    .from(messages)
    .where(and(eq(messages.workspaceId, workspaceId), inArray(messages.id, ids)));
}

/** Inserts messages; a repeated idempotency key fails its statement (and so the whole batch). */
export function insertMessagesQueries(db: Db, rows: Message[]) {
  return chunkRows(rows).map((chunk) => db.insert(messages).values(chunk));
}

/** Whether an error is SQLite's unique-constraint violation (as libSQL and D1 report it). */
export function isUniqueViolation(err: unknown): boolean {
  for (let e: unknown = err; e; e = (e as { cause?: unknown }).cause) {
    if (String((e as Error).message ?? e).includes('UNIQUE constraint failed')) return true;
  }
  return false;
}

export function findMessagesByIdempotencyKeys(db: Db, workspaceId: string, keys: string[]) {
  if (keys.length === 0) return Promise.resolve([]);
  return db
    .select()
    .from(messages)
    .where(and(eq(messages.workspaceId, workspaceId), inArray(messages.idempotencyKey, keys)));
}

export function listMessageEvents(db: Db, workspaceId: string, messageId: string) {
  return db
    .select()
    .from(messageEvents)
    .where(and(eq(messageEvents.workspaceId, workspaceId), eq(messageEvents.messageId, messageId)))
    .orderBy(messageEvents.id);
}

export async function findMessage(db: Db, workspaceId: string, id: string) {
  const [row] = await db
    .select()
    .from(messages)
    .where(and(eq(messages.workspaceId, workspaceId), eq(messages.id, id)));
  return row;
}

export interface MessageFilter {
  status?: MessageState;
  deviceId?: string;
  recipient?: string;
  createdFrom?: number;
  createdTo?: number;
  /** Id of the last message of the previous page (newest first). */
  before?: string;
  limit: number;
}

export function listMessages(db: Db, workspaceId: string, f: MessageFilter) {
  const where: SQL[] = [eq(messages.workspaceId, workspaceId)];
  if (f.status) where.push(eq(messages.status, f.status));
  if (f.deviceId) where.push(eq(messages.deviceId, f.deviceId));
  if (f.recipient) where.push(eq(messages.recipient, f.recipient));
  if (f.createdFrom !== undefined) where.push(gte(messages.createdAt, f.createdFrom));
  if (f.createdTo !== undefined) where.push(lt(messages.createdAt, f.createdTo));
  if (f.before) where.push(lt(messages.id, f.before));
  return db
    .select()
    .from(messages)
    .where(and(...where))
    .orderBy(desc(messages.id))
    .limit(f.limit);
}

/** Queued messages of a workspace that may be leased now, oldest first. */
export function dueQueuedMessages(db: Db, workspaceId: string, now: number, limit: number) {
  return db
    .select()
    .from(messages)
    .where(
      and(
        eq(messages.workspaceId, workspaceId),
        // A literal, not a bound value, so SQLite can use the partial index of queued messages.
        sql`${messages.status} = 'queued'`,
        or(isNull(messages.nextAttemptAt), lte(messages.nextAttemptAt, now)),
      ),
    )
    .orderBy(asc(messages.createdAt), asc(messages.id))
    .limit(limit);
}

/** Messages in a state whose deadline has passed (the tick's sweeps). */
export function messagesPastDeadline(db: Db, state: MessageState, now: number, limit: number) {
  return db
    .select()
    .from(messages)
    .where(and(eq(messages.status, state), lte(messages.deadlineAt, now)))
    .orderBy(asc(messages.deadlineAt))
    .limit(limit);
}

/** Queued messages whose TTL has passed. */
export function queuedMessagesPastTtl(db: Db, now: number, limit: number) {
  return db
    .select()
    .from(messages)
    .where(and(eq(messages.status, 'queued'), lte(messages.expiresAt, now)))
    .limit(limit);
}

/** Leased messages held by devices that are paused or revoked (they can no longer report). */
export function leasedMessagesOfInactiveDevices(db: Db, limit: number) {
  return db
    .select({ m: messages })
    .from(messages)
    .innerJoin(devices, eq(devices.id, messages.deviceId))
    .where(and(eq(messages.status, 'leased'), ne(devices.status, 'active')))
    .limit(limit)
    .then((rows) => rows.map((r) => r.m));
}

/** Leased messages held by any of these devices. */
export function leasedMessagesOf(db: Db, deviceIds: string[], limit: number) {
  if (deviceIds.length === 0) return Promise.resolve([]);
  return db
    .select()
    .from(messages)
    .where(and(eq(messages.status, 'leased'), inArray(messages.deviceId, deviceIds)))
    .limit(limit);
}

export function countQueued(db: Db, workspaceId: string) {
  return db.$count(messages, and(eq(messages.workspaceId, workspaceId), eq(messages.status, 'queued')));
}

/** Adds segments to a SIM's minute, only if the message was leased to it at that attempt (guard). */
export function addSimUsageQuery(
  db: Db,
  input: { deviceId: string; simSlot: number | null; minute: number; segments: number; guard: SQL },
) {
  const slot = input.simSlot ?? -1;
  return db.run(sql`
    INSERT INTO ${simUsageMinutes} (device_id, sim_slot, minute, segments)
    SELECT ${input.deviceId}, ${slot}, ${input.minute}, ${input.segments} WHERE ${input.guard}
    ON CONFLICT (device_id, sim_slot, minute) DO UPDATE SET segments = segments + excluded.segments`);
}

/** Per-SIM segments per minute over the last day, for the given devices. */
export function simUsageSince(db: Db, deviceIds: string[], fromMinute: number) {
  if (deviceIds.length === 0) return Promise.resolve([]);
  return db
    .select()
    .from(simUsageMinutes)
    .where(and(inArray(simUsageMinutes.deviceId, deviceIds), gte(simUsageMinutes.minute, fromMinute)));
}

export function pruneSimUsageQuery(db: Db, beforeMinute: number) {
  return db.delete(simUsageMinutes).where(lt(simUsageMinutes.minute, beforeMinute));
}
