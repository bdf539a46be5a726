import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { gapKinds } from './constants.ts';

/** Raw heartbeats, kept for the retention period; rollups keep their sums longer. */
export const heartbeats = sqliteTable(
  'heartbeats',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    workspaceId: text('workspace_id').notNull(),
    deviceId: text('device_id').notNull(),
    /** Server clock: the truth for liveness and uptime. */
    receivedAt: integer('received_at').notNull(),
    /** The interval in force when this heartbeat arrived; it covers [receivedAt, receivedAt + 2.5 intervals]. */
    intervalMs: integer('interval_ms').notNull(),
    deviceTime: integer('device_time').notNull(),
    runId: text('run_id').notNull(),
    bootId: text('boot_id').notNull(),
    seq: integer('seq').notNull(),
    monotonicMs: integer('monotonic_ms').notNull(),
    gapKind: text('gap_kind', { enum: gapKinds }).notNull(),
    appVersion: text('app_version').notNull(),
    driverStatus: text('driver_status').notNull(),
    batteryPct: integer('battery_pct'),
    charging: integer('charging', { mode: 'boolean' }),
    batteryTempC: integer('battery_temp_c'),
    networkType: text('network_type'),
    /** Best signal among the SIMs, in dBm. */
    signalDbm: integer('signal_dbm'),
    queueDepth: integer('queue_depth').notNull(),
    oldestPendingAgeS: integer('oldest_pending_age_s'),
    /** The whole validated heartbeat (SIMs, counters, last error) as JSON. */
    payload: text('payload', { mode: 'json' }).notNull(),
  },
  (t) => [
    index('heartbeats_device_time_idx').on(t.deviceId, t.receivedAt),
    index('heartbeats_received_idx').on(t.receivedAt),
  ],
);

export type Heartbeat = typeof heartbeats.$inferSelect;
export type NewHeartbeat = typeof heartbeats.$inferInsert;
