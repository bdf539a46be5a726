import {
  and,
  asc,
  desc,
  eq,
  gt,
  gte,
  inArray,
  isNotNull,
  isNull,
  lt,
  lte,
  ne,
  or,
  type SQL,
  sql,
} from 'drizzle-orm';
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

const isCustomerMessage = sql`${messages.purpose} = 'customer'`;

/** A customer's message (SMS canaries are the probes' own: customers never see them here). */
export async function findMessage(db: Db, workspaceId: string, id: string) {
  const [row] = await db
    .select()
    .from(messages)
    .where(and(eq(messages.workspaceId, workspaceId), eq(messages.id, id), isCustomerMessage));
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

/** A workspace's customer messages (never SMS canaries), newest first. */
export function listMessages(db: Db, workspaceId: string, f: MessageFilter) {
  const where: SQL[] = [eq(messages.workspaceId, workspaceId), isCustomerMessage];
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

/**
 * Queued messages of a workspace that no routing pass has assigned yet and that may be leased now, oldest
 * first; `after` continues from the last one of the previous page.
 */
export function unroutedQueuedMessages(
  db: Db,
  workspaceId: string,
  input: { now: number; limit: number; after?: { createdAt: number; id: string } },
) {
  const { now, after } = input;
  return db
    .select({
      id: messages.id,
      createdAt: messages.createdAt,
      recipient: messages.recipient,
      segments: messages.segments,
      preferredDeviceId: messages.preferredDeviceId,
      deviceGroup: messages.deviceGroup,
      avoidDeviceId: messages.avoidDeviceId,
      purpose: messages.purpose,
      pinnedSimSlot: messages.pinnedSimSlot,
    })
    .from(messages)
    .where(
      and(
        eq(messages.workspaceId, workspaceId),
        // A literal, not a bound value, so SQLite can use the partial index of queued messages.
        sql`${messages.status} = 'queued'`,
        isNull(messages.routedDeviceId),
        or(isNull(messages.nextAttemptAt), lte(messages.nextAttemptAt, now)),
        after
          ? or(
              gt(messages.createdAt, after.createdAt),
              and(eq(messages.createdAt, after.createdAt), gt(messages.id, after.id)),
            )
          : undefined,
      ),
    )
    .orderBy(asc(messages.createdAt), asc(messages.id))
    .limit(input.limit);
}

/** Queued messages a routing pass assigned to this device, oldest first. */
export function assignedMessages(db: Db, workspaceId: string, deviceId: string, limit: number) {
  return db
    .select()
    .from(messages)
    .where(
      and(
        eq(messages.workspaceId, workspaceId),
        sql`${messages.status} = 'queued'`,
        eq(messages.routedDeviceId, deviceId),
      ),
    )
    .orderBy(asc(messages.createdAt), asc(messages.id))
    .limit(limit);
}

/** Segments assigned to each device and SIM but not leased yet (read from the routing index alone). */
export function assignedLoad(db: Db, workspaceId: string) {
  return db
    .select({
      deviceId: sql<string>`${messages.routedDeviceId}`,
      simSlot: messages.routedSimSlot,
      messages: sql<number>`count(*)`,
      segments: sql<number>`sum(${messages.segments})`,
    })
    .from(messages)
    .where(
      and(
        eq(messages.workspaceId, workspaceId),
        sql`${messages.status} = 'queued'`,
        isNotNull(messages.routedDeviceId),
      ),
    )
    .groupBy(messages.routedDeviceId, messages.routedSimSlot);
}

/** Assigns queued, unassigned messages to a device and SIM (ids as one JSON parameter: D1's limits). */
export function assignMessagesQuery(
  db: Db,
  input: { workspaceId: string; deviceId: string; simSlot: number | null; messageIds: string[] },
) {
  return db
    .update(messages)
    .set({ routedDeviceId: input.deviceId, routedSimSlot: input.simSlot })
    .where(
      and(
        sql`${messages.id} IN (SELECT value FROM json_each(${JSON.stringify(input.messageIds)}))`,
        eq(messages.workspaceId, input.workspaceId),
        eq(messages.status, 'queued'),
        isNull(messages.routedDeviceId),
      ),
    );
}

/**
 * Voids assignments so the next routing pass routes the messages afresh: all of these devices' queued
 * messages, or (with `messageIds`) only those messages while they are still assigned to the device.
 */
export function releaseAssignmentsQuery(
  db: Db,
  input: { workspaceId: string; deviceIds: string[]; messageIds?: string[] },
) {
  return db
    .update(messages)
    .set({ routedDeviceId: null, routedSimSlot: null })
    .where(
      and(
        eq(messages.workspaceId, input.workspaceId),
        sql`${messages.status} = 'queued'`,
        sql`${messages.routedDeviceId} IN (SELECT value FROM json_each(${JSON.stringify(input.deviceIds)}))`,
        input.messageIds
          ? sql`${messages.id} IN (SELECT value FROM json_each(${JSON.stringify(input.messageIds)}))`
          : undefined,
      ),
    );
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

/**
 * Adds the segments of the messages a device leased at `leasedAt` to its SIMs' `minute` (slot -1: the
 * driver's choice), one statement for a whole lease batch. Run after the leases in the same batch: only
 * messages whose lease was won (leased to this device at that time) count.
 */
export function addLeasedSimUsageQuery(
  db: Db,
  input: { deviceId: string; messageIds: string[]; leasedAt: number; minute: number },
) {
  return db.run(sql`
    INSERT INTO ${simUsageMinutes} (device_id, sim_slot, minute, segments)
    SELECT ${input.deviceId}, coalesce(sim_slot, -1), ${input.minute}, sum(segments) FROM ${messages}
    WHERE id IN (SELECT value FROM json_each(${JSON.stringify(input.messageIds)}))
      AND status = 'leased' AND device_id = ${input.deviceId} AND leased_at = ${input.leasedAt}
    GROUP BY coalesce(sim_slot, -1)
    ON CONFLICT (device_id, sim_slot, minute) DO UPDATE SET segments = segments + excluded.segments`);
}

/**
 * Per-SIM segments handed out, for the given devices: in `minute`, in the minute before it, and since
 * `fromMinute` (the day). Slot -1 is the driver's choice.
 */
export function simUsageTotals(db: Db, deviceIds: string[], input: { minute: number; fromMinute: number }) {
  if (deviceIds.length === 0) return Promise.resolve([]);
  const { minute, fromMinute } = input;
  return db
    .select({
      deviceId: simUsageMinutes.deviceId,
      simSlot: simUsageMinutes.simSlot,
      thisMinute: sql<number>`sum(CASE WHEN ${simUsageMinutes.minute} = ${minute} THEN ${simUsageMinutes.segments} ELSE 0 END)`,
      previousMinute: sql<number>`sum(CASE WHEN ${simUsageMinutes.minute} = ${minute - 1} THEN ${simUsageMinutes.segments} ELSE 0 END)`,
      day: sql<number>`sum(${simUsageMinutes.segments})`,
    })
    .from(simUsageMinutes)
    .where(
      and(
        sql`${simUsageMinutes.deviceId} IN (SELECT value FROM json_each(${JSON.stringify(deviceIds)}))`,
        gte(simUsageMinutes.minute, fromMinute),
      ),
    )
    .groupBy(simUsageMinutes.deviceId, simUsageMinutes.simSlot);
}

export function pruneSimUsageQuery(db: Db, beforeMinute: number) {
  return db.delete(simUsageMinutes).where(lt(simUsageMinutes.minute, beforeMinute));
}

/** The states a message waits in before its outcome is known. */
export const inFlightStates = [
  'queued',
  'leased',
  'submitted',
  'sent',
] as const satisfies readonly MessageState[];

/** How many of a workspace's customer messages wait in each in-flight state (one index range per state). */
export async function countInFlightMessages(
  db: Db,
  workspaceId: string,
): Promise<Record<(typeof inFlightStates)[number], number>> {
  const rows = await db
    .select({ status: messages.status, n: sql<number>`count(*)` })
    .from(messages)
    .where(
      and(
        eq(messages.workspaceId, workspaceId),
        inArray(messages.status, [...inFlightStates]),
        eq(messages.purpose, 'customer'),
      ),
    )
    .groupBy(messages.status);
  const counts = { queued: 0, leased: 0, submitted: 0, sent: 0 };
  for (const r of rows) counts[r.status as keyof typeof counts] = Number(r.n);
  return counts;
}
