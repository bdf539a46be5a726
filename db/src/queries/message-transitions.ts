import { and, eq, type SQL, sql } from 'drizzle-orm';
import type { Db } from '../client.ts';
import {
  type Message,
  type MessageState,
  messageEvents,
  messages,
  webhookDeliveries,
  webhooks,
} from '../schema/index.ts';

/** How long an undelivered webhook is retried before it is dead-lettered. */
export const WEBHOOK_DEADLINE_MS = 3 * 86_400_000;

export interface MessageVersion {
  status: MessageState;
  attempt: number;
}

export interface TransitionInput {
  messageId: string;
  workspaceId: string;
  from: MessageVersion;
  to: MessageVersion;
  /** Columns to set besides status and attempt. */
  set?: Partial<Omit<Message, 'id' | 'workspaceId' | 'status' | 'attempt'>>;
  now: number;
  event: {
    source: 'api' | 'router' | 'device' | 'server';
    deviceId?: string | null;
    deviceAt?: number | null;
    errorCode?: string | null;
    detail?: unknown;
    /** Record the event under this state instead of `to.status` (a retried failure is recorded as `failed`). */
    status?: MessageState;
  };
  /** The message as customers' webhooks see it after the change; omit to send no webhook. */
  webhookPayload?: Record<string, unknown>;
}

/** True while the message stands at this version: guards statements that must follow a won compare-and-set. */
export function messageIsAt(messageId: string, v: MessageVersion): SQL {
  return sql`EXISTS (SELECT 1 FROM ${messages} WHERE ${messages.id} = ${messageId} AND ${messages.status} = ${v.status} AND ${messages.attempt} = ${v.attempt})`;
}

/**
 * One state change of a message as batch items, to run in one `db.batch` (one transaction):
 * 1. a compare-and-set update from `from` to `to` (returns the id when it won);
 * 2. the event, recorded once per (message, attempt, state), `applied` only if the update won;
 * 3. one outbox row per subscribed webhook, only if the update won (transactional outbox).
 */
export function transitionQueries(db: Db, t: TransitionInput) {
  const update = db
    .update(messages)
    .set({ ...t.set, status: t.to.status, attempt: t.to.attempt, updatedAt: t.now })
    .where(
      and(
        eq(messages.id, t.messageId),
        eq(messages.status, t.from.status),
        eq(messages.attempt, t.from.attempt),
      ),
    )
    .returning({ id: messages.id });
  return [update, ...effectQueries(db, t)] as const;
}

/** The event and webhook rows of a change, each guarded on the message standing at `to`. */
export function effectQueries(db: Db, t: TransitionInput) {
  const eventStatus = t.event.status ?? t.to.status;
  const event = db
    .insert(messageEvents)
    .values({
      messageId: t.messageId,
      workspaceId: t.workspaceId,
      deviceId: t.event.deviceId ?? null,
      attempt: t.to.attempt,
      status: eventStatus,
      at: t.now,
      deviceAt: t.event.deviceAt ?? null,
      source: t.event.source,
      applied: messageIsAt(t.messageId, t.to),
      errorCode: t.event.errorCode ?? null,
      detail: t.event.detail ?? null,
    })
    .onConflictDoNothing()
    .returning({ id: messageEvents.id });
  if (!t.webhookPayload) return [event] as const;
  const type = `message.${eventStatus}`;
  const payload = JSON.stringify({ type, timestamp: new Date(t.now).toISOString(), data: t.webhookPayload });
  const fanOut = db.run(sql`
    INSERT INTO ${webhookDeliveries} (id, workspace_id, webhook_id, event_type, payload, dedup_key, status, attempts, next_attempt_at, deadline_at, created_at)
    SELECT 'whd_' || lower(hex(randomblob(12))), ${webhooks.workspaceId}, ${webhooks.id}, ${type}, ${payload},
           ${webhooks.id} || ':' || ${t.messageId} || ':' || ${t.to.attempt} || ':' || ${eventStatus},
           'pending', 0, ${t.now}, ${t.now + WEBHOOK_DEADLINE_MS}, ${t.now}
    FROM ${webhooks}
    WHERE ${webhooks.workspaceId} = ${t.workspaceId} AND ${webhooks.disabledAt} IS NULL
      AND (${webhooks.eventTypes} IS NULL OR EXISTS (SELECT 1 FROM json_each(${webhooks.eventTypes}) WHERE value = ${type}))
      AND ${messageIsAt(t.messageId, t.to)}
    ON CONFLICT DO NOTHING`);
  return [event, fanOut] as const;
}
