import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { deviceStatuses, gapKinds } from './constants.ts';
import { workspaces } from './workspaces.ts';

/**
 * A gateway phone. Besides its identity it carries a snapshot of its latest heartbeat, so that
 * liveness and health are answered from one row.
 */
export const devices = sqliteTable(
  'devices',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    name: text('name').notNull(),
    tokenHash: text('token_hash').notNull().unique(),
    status: text('status', { enum: deviceStatuses }).notNull().default('active'),
    /** Routing weight (message pipeline); a 70/30 split is weights 70 and 30. */
    weight: integer('weight').notNull().default(1),
    groupName: text('group_name'),
    /** Send-rate limits per SIM, counted in SMS segments (Android allows an app 30 SMS a minute by default). */
    simRatePerMinute: integer('sim_rate_per_minute').notNull().default(30),
    simRatePerDay: integer('sim_rate_per_day').notNull().default(2000),
    enrolledAt: integer('enrolled_at').notNull(),
    pausedAt: integer('paused_at'),
    revokedAt: integer('revoked_at'),
    /** Interval the server last told this device to heartbeat at. */
    heartbeatIntervalMs: integer('heartbeat_interval_ms').notNull(),
    /** Server receive times of the two most recent heartbeats (liveness hysteresis needs both). */
    lastHeartbeatAt: integer('last_heartbeat_at'),
    prevHeartbeatAt: integer('prev_heartbeat_at'),
    /** End of the online time the heartbeats so far vouch for; the next heartbeat adds only what lies beyond. */
    coverageEndAt: integer('coverage_end_at'),
    lastRunId: text('last_run_id'),
    lastBootId: text('last_boot_id'),
    lastSeq: integer('last_seq'),
    lastGapKind: text('last_gap_kind', { enum: gapKinds }),
    /** Device clock minus server clock at the last heartbeat, in ms. */
    clockSkewMs: integer('clock_skew_ms'),
    appVersion: text('app_version'),
    /** The last heartbeat's health payload (JSON), as reported. */
    lastHealth: text('last_health', { mode: 'json' }),
    /** Liveness as last recorded by the tick, to detect transitions. */
    livenessState: text('liveness_state').notNull().default('offline'),
    livenessChangedAt: integer('liveness_changed_at'),
  },
  (t) => [index('devices_workspace_idx').on(t.workspaceId, t.status)],
);

export type Device = typeof devices.$inferSelect;
