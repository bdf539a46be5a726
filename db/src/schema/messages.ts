import { sql } from 'drizzle-orm';
import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { messagePurposes, messageStates } from './constants.ts';
import { workspaces } from './workspaces.ts';

export const messages = sqliteTable(
  'messages',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    recipient: text('recipient').notNull(),
    body: text('body').notNull(),
    encoding: text('encoding', { enum: ['gsm7', 'ucs2'] }).notNull(),
    segments: integer('segments').notNull(),
    status: text('status', { enum: messageStates }).notNull(),
    /** Position in the state order; a receipt moves a message only to a higher rank. */
    stateRank: integer('state_rank').notNull(),
    /** Lease attempt; receipts name the attempt they belong to. */
    attempt: integer('attempt').notNull().default(0),
    deviceId: text('device_id'),
    simSlot: integer('sim_slot'),
    /** The sending SIM's carrier, as the device reported it when the message was leased. */
    carrier: text('carrier'),
    preferredDeviceId: text('preferred_device_id'),
    deviceGroup: text('device_group'),
    idempotencyKey: text('idempotency_key'),
    requestHash: text('request_hash'),
    metadata: text('metadata', { mode: 'json' }),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
    /** Deadline of the current non-terminal state (lease, outcome); null once terminal. */
    deadlineAt: integer('deadline_at'),
    /** When a queued message may be leased again (retry backoff). */
    nextAttemptAt: integer('next_attempt_at'),
    /** When the current attempt was leased; rate limits count segments by this time. */
    leasedAt: integer('leased_at'),
    /**
     * While queued: the device (and SIM) a routing pass assigned the message to; that device's next poll
     * leases it. Void once that device stops being routable; cleared when the message is leased.
     */
    routedDeviceId: text('routed_device_id'),
    routedSimSlot: integer('routed_sim_slot'),
    /** A device to avoid on the next attempt (the one whose attempt failed or lapsed). */
    avoidDeviceId: text('avoid_device_id'),
    /** Retryable failures so far. */
    retries: integer('retries').notNull().default(0),
    /** Whether the device's driver reports delivery; without it `sent` is final and the message is left out of the delivery rate. */
    deliveryReports: integer('delivery_reports', { mode: 'boolean' }),
    submittedAt: integer('submitted_at'),
    sentAt: integer('sent_at'),
    completedAt: integer('completed_at'),
    errorCode: text('error_code'),
    errorMessage: text('error_message'),
    /**
     * `canary`: an SMS canary probe's test message. Only its `preferredDeviceId` may send it (and only
     * through `pinnedSimSlot` when set), a failure is never retried, and it is left out of customers'
     * message lists, webhooks and delivery rollups.
     */
    purpose: text('purpose', { enum: messagePurposes }).notNull().default('customer'),
    pinnedSimSlot: integer('pinned_sim_slot'),
    /** A scheduled message: not sent before this time (its TTL counts from it). */
    sendAt: integer('send_at'),
  },
  (t) => [
    uniqueIndex('messages_idempotency_idx').on(t.workspaceId, t.idempotencyKey),
    index('messages_workspace_created_idx').on(t.workspaceId, t.createdAt),
    index('messages_status_deadline_idx').on(t.status, t.deadlineAt),
    index('messages_device_status_idx').on(t.deviceId, t.status),
    index('messages_queue_idx').on(t.workspaceId, t.status, t.nextAttemptAt),
    // Only queued rows, so its cost follows the queue, not the workspace's history of delivered messages.
    // Serves the routing pass (unrouted messages: routed_device_id IS NULL, oldest first; the planned load
    // per device and SIM, read from the index alone) and each device's poll (its own assigned messages).
    index('messages_routing_idx')
      .on(t.workspaceId, t.routedDeviceId, t.createdAt, t.id, t.routedSimSlot, t.segments)
      .where(sql`status = 'queued'`),
    index('messages_leased_idx').on(t.workspaceId, t.leasedAt),
  ],
);

/** Every state change and every receipt, in arrival order; a repeated receipt is one row. */
export const messageEvents = sqliteTable(
  'message_events',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    messageId: text('message_id').notNull(),
    workspaceId: text('workspace_id').notNull(),
    deviceId: text('device_id'),
    attempt: integer('attempt').notNull(),
    status: text('status', { enum: messageStates }).notNull(),
    /** Server time the event was recorded. */
    at: integer('at').notNull(),
    /** Device time of the receipt, when it came from a device. */
    deviceAt: integer('device_at'),
    source: text('source', { enum: ['api', 'router', 'device', 'server'] }).notNull(),
    /** Whether the event moved the message's state (false for late or out-of-order receipts). */
    applied: integer('applied', { mode: 'boolean' }).notNull(),
    errorCode: text('error_code'),
    detail: text('detail', { mode: 'json' }),
  },
  (t) => [
    uniqueIndex('message_events_dedupe_idx').on(t.messageId, t.attempt, t.status),
    index('message_events_workspace_at_idx').on(t.workspaceId, t.at),
  ],
);

export type Message = typeof messages.$inferSelect;
export type MessageEvent = typeof messageEvents.$inferSelect;
