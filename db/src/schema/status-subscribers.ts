import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { workspaces } from './workspaces.ts';

export const statusSubscriberStatuses = ['pending', 'confirmed', 'unsubscribed'] as const;
export type StatusSubscriberStatus = (typeof statusSubscriberStatuses)[number];

/**
 * A visitor who asked, on a workspace's public status page, to hear about its incidents and maintenance.
 * Stored `pending` by the subscribe form; confirmation (double opt-in) and the notifications themselves
 * come with the public subscriptions of the probes/incidents issue, through the alerts outbox.
 */
export const statusSubscribers = sqliteTable(
  'status_subscribers',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    channel: text('channel', { enum: ['email'] }).notNull(),
    /** Lower-cased. */
    email: text('email').notNull(),
    status: text('status', { enum: statusSubscriberStatuses }).notNull(),
    createdAt: integer('created_at').notNull(),
    confirmedAt: integer('confirmed_at'),
    unsubscribedAt: integer('unsubscribed_at'),
  },
  (t) => [
    uniqueIndex('status_subscribers_email_idx').on(t.workspaceId, t.email),
    index('status_subscribers_created_idx').on(t.workspaceId, t.createdAt),
  ],
);

export type StatusSubscriber = typeof statusSubscribers.$inferSelect;
