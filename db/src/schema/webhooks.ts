import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { workspaces } from './workspaces.ts';

export const webhookDeliveryStatuses = ['pending', 'delivered', 'dead'] as const;

/** A workspace's webhook endpoint. The signing secret is stored encrypted (it must be usable to sign). */
export const webhooks = sqliteTable(
  'webhooks',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    url: text('url').notNull(),
    description: text('description'),
    /** AES-GCM ciphertext of the Standard Webhooks secret (`whsec_…`). */
    secretCiphertext: text('secret_ciphertext').notNull(),
    /** Event types to send (`message.delivered`, …); null for all. */
    eventTypes: text('event_types', { mode: 'json' }).$type<string[] | null>(),
    createdAt: integer('created_at').notNull(),
    disabledAt: integer('disabled_at'),
  },
  (t) => [index('webhooks_workspace_idx').on(t.workspaceId)],
);

/**
 * The webhook outbox: written in the same transaction as the change it reports, then delivered by a
 * dispatcher with retries, backoff and a lease so two dispatchers never send one row.
 */
export const webhookDeliveries = sqliteTable(
  'webhook_deliveries',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id').notNull(),
    webhookId: text('webhook_id').notNull(),
    eventType: text('event_type').notNull(),
    payload: text('payload', { mode: 'json' }).notNull(),
    /** Unique per (webhook, change): a retried evaluation cannot enqueue twice. */
    dedupKey: text('dedup_key').notNull(),
    status: text('status', { enum: webhookDeliveryStatuses }).notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: integer('next_attempt_at').notNull(),
    deadlineAt: integer('deadline_at').notNull(),
    lockedBy: text('locked_by'),
    lockedUntil: integer('locked_until'),
    lastError: text('last_error'),
    lastStatusCode: integer('last_status_code'),
    createdAt: integer('created_at').notNull(),
    deliveredAt: integer('delivered_at'),
  },
  (t) => [
    uniqueIndex('webhook_deliveries_dedup_idx').on(t.dedupKey),
    index('webhook_deliveries_due_idx').on(t.status, t.nextAttemptAt),
    index('webhook_deliveries_workspace_idx').on(t.workspaceId, t.createdAt),
  ],
);

export type Webhook = typeof webhooks.$inferSelect;
export type WebhookDelivery = typeof webhookDeliveries.$inferSelect;
