import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { workspaces } from './workspaces.ts';

export const maintenanceStatuses = ['scheduled', 'in_progress', 'verifying', 'completed'] as const;

/**
 * A scheduled maintenance window. Inside it alerts are silenced and the time is left out of uptime and
 * of SLO denominators. `componentIds` null means the whole workspace.
 */
export const maintenances = sqliteTable(
  'maintenances',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    title: text('title').notNull(),
    description: text('description'),
    startsAt: integer('starts_at').notNull(),
    endsAt: integer('ends_at').notNull(),
    componentIds: text('component_ids', { mode: 'json' }).$type<string[] | null>(),
    createdAt: integer('created_at').notNull(),
    cancelledAt: integer('cancelled_at'),
  },
  (t) => [index('maintenances_workspace_time_idx').on(t.workspaceId, t.startsAt)],
);

export type Maintenance = typeof maintenances.$inferSelect;
