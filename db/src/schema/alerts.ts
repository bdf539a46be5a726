import { sql } from 'drizzle-orm';
import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { workspaces } from './workspaces.ts';

export const alertRuleKinds = [
  'device_offline',
  'device_degraded',
  'queue_backlog',
  'slo_burn',
  'carrier_delivery_drop',
  'probe_down',
  'fleet_offline',
] as const;
export const alertSeverities = ['page', 'ticket', 'info'] as const;
export const alertStates = ['pending', 'firing', 'resolved'] as const;
export const alertEventKinds = ['pending', 'fire', 'remind', 'resolve', 'cancel', 'acknowledge'] as const;
/** `slack` and `discord`: incoming-webhook URLs, kept sealed (the URL is the credential). Admin subscriptions only. */
export const alertChannels = ['web_push', 'email', 'webhook', 'slack', 'discord'] as const;
/** `suppressed`: held back by a silence or maintenance (kept, never sent); `dropped`: moot by send time (a delayed email for an alert already resolved, a removed subscription). */
export const notificationAudiences = ['admin', 'public'] as const;
/** Alerts: fire, remind, resolve; status subscribers: announce (incident/maintenance news), confirm (double opt-in). */
export const notificationKinds = ['fire', 'remind', 'resolve', 'announce', 'confirm'] as const;
export const notificationStatuses = ['pending', 'delivered', 'dead', 'suppressed', 'dropped'] as const;

/** A workspace's alert rules; the defaults are created with the workspace. */
export const alertRules = sqliteTable(
  'alert_rules',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    kind: text('kind', { enum: alertRuleKinds }).notNull(),
    name: text('name').notNull(),
    severity: text('severity', { enum: alertSeverities }).notNull(),
    forMs: integer('for_ms').notNull().default(0),
    repeatIntervalMs: integer('repeat_interval_ms').notNull().default(14_400_000),
    params: text('params', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
    enabled: integer('enabled', { mode: 'boolean' }).notNull().default(true),
    /** A public rule opens an incident on the status page when it fires, and resolves it when it clears. */
    public: integer('public', { mode: 'boolean' }).notNull().default(false),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [index('alert_rules_workspace_idx').on(t.workspaceId)],
);

/** One alert episode: a rule's condition on one subject, pending -> firing -> resolved. */
export const alerts = sqliteTable(
  'alerts',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id').notNull(),
    ruleId: text('rule_id').notNull(),
    /** Rule + subject: the same condition seen again is the same alert. */
    dedupeKey: text('dedupe_key').notNull(),
    subjectType: text('subject_type').notNull(),
    subjectId: text('subject_id'),
    subjectName: text('subject_name').notNull(),
    state: text('state', { enum: alertStates }).notNull(),
    severity: text('severity', { enum: alertSeverities }).notNull(),
    summary: text('summary').notNull(),
    startedAt: integer('started_at').notNull(),
    firedAt: integer('fired_at'),
    resolvedAt: integer('resolved_at'),
    lastNotifiedAt: integer('last_notified_at'),
    clearSince: integer('clear_since'),
    /** The public incident this alert opened (public rules only). */
    incidentId: text('incident_id'),
    /** Someone is on it: no more reminders for this episode (its resolution is still told). */
    acknowledgedAt: integer('acknowledged_at'),
    /** Who acknowledged it: an admin's email or an API key's name and prefix. */
    acknowledgedBy: text('acknowledged_by'),
  },
  (t) => [
    // At most one open episode per condition.
    uniqueIndex('alerts_open_dedupe_idx').on(t.workspaceId, t.dedupeKey).where(sql`state != 'resolved'`),
    index('alerts_workspace_started_idx').on(t.workspaceId, t.startedAt),
  ],
);

/** An alert's timeline. */
export const alertEvents = sqliteTable(
  'alert_events',
  {
    id: text('id').primaryKey(),
    alertId: text('alert_id').notNull(),
    workspaceId: text('workspace_id').notNull(),
    kind: text('kind', { enum: alertEventKinds }).notNull(),
    at: integer('at').notNull(),
    detail: text('detail'),
  },
  (t) => [index('alert_events_alert_idx').on(t.alertId, t.at)],
);

/** Who hears of alerts, on which channel, with which filters. */
export const alertSubscriptions = sqliteTable(
  'alert_subscriptions',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    channel: text('channel', { enum: alertChannels }).notNull(),
    /** Email address, webhook URL, or push endpoint; for chat webhooks, only the URL's redacted form. */
    target: text('target').notNull(),
    label: text('label'),
    /** Web push: the browser's `p256dh` and `auth` keys. */
    pushKeys: text('push_keys', { mode: 'json' }).$type<{ p256dh: string; auth: string } | null>(),
    /** Webhook: AES-GCM ciphertext of its `whsec_…` secret; Slack and Discord: of the webhook URL. */
    secretCiphertext: text('secret_ciphertext'),
    severities: text('severities', { mode: 'json' }).$type<string[]>().notNull(),
    ruleIds: text('rule_ids', { mode: 'json' }).$type<string[]>().notNull(),
    deviceIds: text('device_ids', { mode: 'json' }).$type<string[]>().notNull(),
    delayMs: integer('delay_ms').notNull().default(0),
    /** Escalation: with a delay, only alerts nobody has acknowledged by then. */
    unacknowledgedOnly: integer('unacknowledged_only', { mode: 'boolean' }).notNull().default(false),
    enabled: integer('enabled', { mode: 'boolean' }).notNull().default(true),
    createdAt: integer('created_at').notNull(),
    removedAt: integer('removed_at'),
    removedReason: text('removed_reason'),
  },
  (t) => [index('alert_subscriptions_workspace_idx').on(t.workspaceId)],
);

export const silences = sqliteTable(
  'silences',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    ruleId: text('rule_id'),
    deviceId: text('device_id'),
    componentId: text('component_id'),
    comment: text('comment'),
    startsAt: integer('starts_at').notNull(),
    endsAt: integer('ends_at').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('silences_workspace_idx').on(t.workspaceId, t.endsAt)],
);

/**
 * The alerts outbox: one row per (alert transition, subscription), written in the same transaction as
 * the transition, then grouped and delivered by the dispatcher with retries, backoff, a lease and a
 * dead letter; the provider sees `dedupKey` as its idempotency key.
 */
export const notifications = sqliteTable(
  'notifications',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id').notNull(),
    /** `admin`: an alert to an alert subscription; `public`: a status announcement (or an email confirmation) to a status subscriber. */
    audience: text('audience', { enum: notificationAudiences }).notNull().default('admin'),
    /** Admin audience: the alert. */
    alertId: text('alert_id'),
    /** Public audience: the announcement (null for a subscriber's confirmation email). */
    announcementId: text('announcement_id'),
    /** An `alert_subscriptions` id (admin) or a `status_subscribers` id (public). */
    subscriptionId: text('subscription_id').notNull(),
    channel: text('channel', { enum: alertChannels }).notNull(),
    kind: text('kind', { enum: notificationKinds }).notNull(),
    groupKey: text('group_key').notNull(),
    dedupKey: text('dedup_key').notNull(),
    status: text('status', { enum: notificationStatuses }).notNull().default('pending'),
    /** Why it was suppressed or dropped. */
    reason: text('reason'),
    attempts: integer('attempts').notNull().default(0),
    dueAt: integer('due_at').notNull(),
    nextAttemptAt: integer('next_attempt_at').notNull(),
    deadlineAt: integer('deadline_at').notNull(),
    lockedBy: text('locked_by'),
    lockedUntil: integer('locked_until'),
    lastError: text('last_error'),
    lastStatusCode: integer('last_status_code'),
    /** The grouped message it went out in (shared by the notifications of one group). */
    messageId: text('message_id'),
    createdAt: integer('created_at').notNull(),
    deliveredAt: integer('delivered_at'),
  },
  (t) => [
    uniqueIndex('notifications_dedup_idx').on(t.dedupKey),
    index('notifications_due_idx').on(t.audience, t.nextAttemptAt).where(sql`status = 'pending'`),
    index('notifications_workspace_idx').on(t.workspaceId, t.createdAt),
  ],
);

/** Every delivery attempt of a grouped message, with its result. */
export const notificationAttempts = sqliteTable(
  'notification_attempts',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id').notNull(),
    messageId: text('message_id').notNull(),
    subscriptionId: text('subscription_id').notNull(),
    channel: text('channel', { enum: alertChannels }).notNull(),
    notificationIds: text('notification_ids', { mode: 'json' }).$type<string[]>().notNull(),
    title: text('title').notNull(),
    at: integer('at').notNull(),
    ok: integer('ok', { mode: 'boolean' }).notNull(),
    statusCode: integer('status_code'),
    error: text('error'),
  },
  (t) => [index('notification_attempts_workspace_idx').on(t.workspaceId, t.at)],
);

/** Installation-wide settings and keys (the VAPID key pair; its private half sealed with SECRETS_KEY). */
export const instanceSettings = sqliteTable('instance_settings', {
  name: text('name').primaryKey(),
  value: text('value').notNull(),
  createdAt: integer('created_at').notNull(),
});

export type AlertRule = typeof alertRules.$inferSelect;
export type Alert = typeof alerts.$inferSelect;
export type AlertSubscription = typeof alertSubscriptions.$inferSelect;
export type Silence = typeof silences.$inferSelect;
export type Notification = typeof notifications.$inferSelect;
