import { sql } from 'drizzle-orm';
import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { workspaces } from './workspaces.ts';

export const statusSubscriberChannels = ['email', 'web_push', 'webhook', 'slack', 'discord'] as const;
export type StatusSubscriberChannel = (typeof statusSubscriberChannels)[number];
export const statusSubscriberStatuses = ['pending', 'confirmed', 'unsubscribed'] as const;
export type StatusSubscriberStatus = (typeof statusSubscriberStatuses)[number];

/**
 * A visitor who subscribed to a workspace's incident and maintenance updates: by email (pending until
 * they confirm the address: double opt-in), by web push from their browser, by webhook, or in a Slack or
 * Discord channel. Only
 * `confirmed` subscribers hear of announcements. Confirmation and unsubscribe links carry tokens derived
 * from the installation's secrets key (HMAC of the subscriber id), so no token is stored at all.
 */
export const statusSubscribers = sqliteTable(
  'status_subscribers',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    channel: text('channel', { enum: statusSubscriberChannels }).notNull(),
    /** Email channel: the address, lower-cased. */
    email: text('email'),
    /** Web push: the push service endpoint; webhook: the URL; Slack and Discord: the URL redacted. */
    endpoint: text('endpoint'),
    /** Web push: the browser's `p256dh` and `auth` keys. */
    pushKeys: text('push_keys', { mode: 'json' }).$type<{ p256dh: string; auth: string } | null>(),
    /**
     * Webhook: AES-GCM ciphertext of its `whsec_…` signing secret (shown once when subscribing); Slack and
     * Discord: of the webhook URL (the URL is the credential).
     */
    secretCiphertext: text('secret_ciphertext'),
    status: text('status', { enum: statusSubscriberStatuses }).notNull(),
    createdAt: integer('created_at').notNull(),
    /** Email: when the last confirmation email was queued (a repeated subscribe re-sends it, rate-limited). */
    confirmSentAt: integer('confirm_sent_at'),
    confirmedAt: integer('confirmed_at'),
    unsubscribedAt: integer('unsubscribed_at'),
    /** Why it stopped: "unsubscribed by link", "push service answered 410", "removed by an admin". */
    unsubscribedReason: text('unsubscribed_reason'),
  },
  (t) => [
    uniqueIndex('status_subscribers_email_idx').on(t.workspaceId, t.email),
    uniqueIndex('status_subscribers_endpoint_idx').on(t.workspaceId, t.endpoint),
    index('status_subscribers_created_idx').on(t.workspaceId, t.createdAt),
    index('status_subscribers_confirmed_idx').on(t.workspaceId, t.status),
  ],
);

export type StatusSubscriber = typeof statusSubscribers.$inferSelect;

export const statusAnnouncementKinds = [
  'incident_update',
  'maintenance_scheduled',
  'maintenance_rescheduled',
  'maintenance_started',
  'maintenance_completed',
  'maintenance_cancelled',
] as const;
export type StatusAnnouncementKind = (typeof statusAnnouncementKinds)[number];

/**
 * Something the public hears about: an incident update (the first one opens the incident), or a
 * maintenance window being scheduled, starting, ending or cancelled. Written in the same transaction as
 * the change it announces, together with one outbox row (`notifications`, audience `public`) per
 * confirmed subscriber; a maintenance's scheduling, start, end and cancellation are announced once each (unique index).
 */
export const statusAnnouncements = sqliteTable(
  'status_announcements',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    kind: text('kind', { enum: statusAnnouncementKinds }).notNull(),
    incidentId: text('incident_id'),
    incidentUpdateId: text('incident_update_id'),
    maintenanceId: text('maintenance_id'),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [
    // Each window is scheduled, starts, ends or is cancelled once; it may be moved any number of times.
    uniqueIndex('status_announcements_maintenance_idx')
      .on(t.maintenanceId, t.kind)
      .where(sql`kind != 'maintenance_rescheduled'`),
    index('status_announcements_workspace_idx').on(t.workspaceId, t.createdAt),
  ],
);

export type StatusAnnouncement = typeof statusAnnouncements.$inferSelect;
