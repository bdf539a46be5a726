import { index, integer, real, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { workspaces } from './workspaces.ts';

export const sloIndicators = ['delivery', 'device_uptime', 'platform_uptime'] as const;
export const sloScopes = ['workspace', 'carrier', 'device'] as const;

/** A service level objective an admin defined (blueprint section 3). */
export const slos = sqliteTable(
  'slos',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    name: text('name').notNull(),
    indicator: text('indicator', { enum: sloIndicators }).notNull(),
    scope: text('scope', { enum: sloScopes }).notNull().default('workspace'),
    /** Carrier name or device id for those scopes. */
    scopeId: text('scope_id'),
    target: real('target').notNull(),
    windowDays: integer('window_days').notNull(),
    /** Below this many events (messages, or minutes for uptime) in a long window, burn-rate alerts stay quiet. */
    minEvents: integer('min_events').notNull(),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
  },
  (t) => [index('slos_workspace_idx').on(t.workspaceId)],
);

export type Slo = typeof slos.$inferSelect;
