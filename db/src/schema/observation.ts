import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

/**
 * Observed device-time of a workspace as a step function, for Layer 2 uptime's denominator at any fleet
 * size. The number of observed devices changes only when a device is enrolled (+1), paused (-1), resumed
 * (+1) or revoked while not paused (-1); each such change is a row, in time order (`at`, then `id`), with
 * running sums: `devices` observed from `at` on, and `observedMs`, the device-milliseconds observed before
 * `at`. The device-time observed before any t is then one index seek: the last row with at <= t gives
 * `observedMs + devices * (t - at)`.
 *
 * Written only by SQLite triggers (migration 0003), in the statement that records the event in `devices` or
 * `device_pauses`, so the steps can never disagree with those tables; the triggers also keep the running
 * sums right when a change lands before later ones. Not written by the application.
 *
 * Drizzle does not know about triggers: a migration that rebuilds `devices` or `device_pauses` (drizzle-kit's
 * copy-and-rename for some column changes) drops them and must create them again; a test checks they exist.
 */
export const observationSteps = sqliteTable(
  'observation_steps',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    workspaceId: text('workspace_id').notNull(),
    deviceId: text('device_id').notNull(),
    at: integer('at').notNull(),
    /** +1 or -1: the change in the number of observed devices at `at`. */
    delta: integer('delta').notNull(),
    /** Observed devices from `at` on (this step included). */
    devices: integer('devices').notNull().default(0),
    /** Device-milliseconds observed in the workspace before `at`. */
    observedMs: integer('observed_ms').notNull().default(0),
  },
  (t) => [index('observation_steps_workspace_at_idx').on(t.workspaceId, t.at)],
);

export type ObservationStep = typeof observationSteps.$inferSelect;
