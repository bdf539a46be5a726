import { index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';

export const granularities = ['minute', 'hour', 'day'] as const;
export type Granularity = (typeof granularities)[number];

/**
 * Rollups are additive counters per scope and time bucket, written by `INSERT … ON CONFLICT DO UPDATE SET
 * n = n + excluded.n` in the same transaction as the change they count, at all three granularities at
 * once. Late data lands in its own bucket at every granularity, and a 90-day query reads 90 day rows
 * whatever the fleet size. Scope keys: `ws:<workspace>`, `dev:<device>`, `sim:<device>:<slot>`,
 * `carrier:<workspace>:<carrier name>`, `platform`.
 */
export const uptimeRollups = sqliteTable(
  'uptime_rollups',
  {
    scopeKey: text('scope_key').notNull(),
    granularity: text('granularity', { enum: granularities }).notNull(),
    bucketStart: integer('bucket_start').notNull(),
    /** Milliseconds covered by heartbeats (the union of [receivedAt, receivedAt + 2.5 intervals]). */
    onlineMs: integer('online_ms').notNull().default(0),
    heartbeats: integer('heartbeats').notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.scopeKey, t.granularity, t.bucketStart] }),
    index('uptime_rollups_age_idx').on(t.granularity, t.bucketStart),
  ],
);

/** Messages that reached a terminal state, by outcome (blueprint Layer 3). */
export const deliveryRollups = sqliteTable(
  'delivery_rollups',
  {
    scopeKey: text('scope_key').notNull(),
    granularity: text('granularity', { enum: granularities }).notNull(),
    bucketStart: integer('bucket_start').notNull(),
    delivered: integer('delivered').notNull().default(0),
    failed: integer('failed').notNull().default(0),
    undelivered: integer('undelivered').notNull().default(0),
    deliveryUnknown: integer('delivery_unknown').notNull().default(0),
    expired: integer('expired').notNull().default(0),
    /** Sent through a driver that cannot report delivery: counted for the submission rate only. */
    sentUnconfirmed: integer('sent_unconfirmed').notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.scopeKey, t.granularity, t.bucketStart] }),
    index('delivery_rollups_age_idx').on(t.granularity, t.bucketStart),
  ],
);

/** Lifeline's own health (Layer 1): self-probes and the ingest API's 5xx share. */
export const platformRollups = sqliteTable(
  'platform_rollups',
  {
    scopeKey: text('scope_key').notNull(),
    granularity: text('granularity', { enum: granularities }).notNull(),
    bucketStart: integer('bucket_start').notNull(),
    probesOk: integer('probes_ok').notNull().default(0),
    probesTotal: integer('probes_total').notNull().default(0),
    requests: integer('requests').notNull().default(0),
    errors5xx: integer('errors_5xx').notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.scopeKey, t.granularity, t.bucketStart] }),
    index('platform_rollups_age_idx').on(t.granularity, t.bucketStart),
  ],
);

/** When each device was paused, so paused time is left out of its observed time. */
export const devicePauses = sqliteTable(
  'device_pauses',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    deviceId: text('device_id').notNull(),
    workspaceId: text('workspace_id').notNull(),
    pausedAt: integer('paused_at').notNull(),
    resumedAt: integer('resumed_at'),
  },
  (t) => [
    index('device_pauses_device_idx').on(t.deviceId),
    index('device_pauses_workspace_idx').on(t.workspaceId),
  ],
);
