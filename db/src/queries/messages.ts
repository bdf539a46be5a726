import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { type MessageState, messageEvents, messages } from '../schema/index.ts';

export function findMessagesForReceipts(db: Db, workspaceId: string, ids: string[]) {
  if (ids.length === 0) return Promise.resolve([]);
  return db
    .select({
      id: messages.id,
      status: messages.status,
      attempt: messages.attempt,
      deviceId: messages.deviceId,
    })
    .from(messages)
    .where(and(eq(messages.workspaceId, workspaceId), inArray(messages.id, ids)));
}

export const applyReceiptQueries = {
  /** Compare-and-set: moves the message only if it is still in `from` at `attempt`. Returns the id when it did. */
  update(
    db: Db,
    input: {
      messageId: string;
      from: MessageState;
      attempt: number;
      to: MessageState;
      rank: number;
      now: number;
      deadlineAt: number | null;
      terminal: boolean;
      errorCode: string | null;
      errorMessage: string | null;
    },
  ) {
    return db
      .update(messages)
      .set({
        status: input.to,
        stateRank: input.rank,
        updatedAt: input.now,
        deadlineAt: input.deadlineAt,
        ...(input.to === 'submitted' ? { submittedAt: input.now } : {}),
        ...(input.to === 'sent' ? { sentAt: input.now } : {}),
        ...(input.terminal ? { completedAt: input.now } : {}),
        ...(input.errorCode || input.errorMessage
          ? { errorCode: input.errorCode, errorMessage: input.errorMessage }
          : {}),
      })
      .where(
        and(
          eq(messages.id, input.messageId),
          eq(messages.status, input.from),
          eq(messages.attempt, input.attempt),
        ),
      )
      .returning({ id: messages.id });
  },

  /**
   * Records the receipt as an event; a repeat of (message, attempt, state) is ignored. `applied` says
   * whether the message now stands in this state for this attempt, i.e. whether the update above won.
   */
  event(
    db: Db,
    input: {
      messageId: string;
      workspaceId: string;
      deviceId: string;
      attempt: number;
      state: MessageState;
      now: number;
      deviceAt: number;
      errorCode: string | null;
      detail: unknown;
    },
  ) {
    return db
      .insert(messageEvents)
      .values({
        messageId: input.messageId,
        workspaceId: input.workspaceId,
        deviceId: input.deviceId,
        attempt: input.attempt,
        status: input.state,
        at: input.now,
        deviceAt: input.deviceAt,
        source: 'device',
        applied: sql`EXISTS (SELECT 1 FROM ${messages} WHERE ${messages.id} = ${input.messageId} AND ${messages.status} = ${input.state} AND ${messages.attempt} = ${input.attempt})`,
        errorCode: input.errorCode,
        detail: input.detail,
      })
      .onConflictDoNothing()
      .returning({ id: messageEvents.id });
  },
};

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
