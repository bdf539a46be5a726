import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { workspaces } from './workspaces.ts';

export const componentLayers = ['platform', 'devices', 'carrier', 'upstream'] as const;
export const componentStatuses = [
  'operational',
  'degraded_performance',
  'partial_outage',
  'major_outage',
  'under_maintenance',
] as const;

/**
 * A status-page component. Its status is derived from a signal (`source`: `devices`, `carrier:<name>`,
 * `platform`, `probe:<id>`) by documented thresholds, unless an admin overrides it.
 */
export const components = sqliteTable(
  'components',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    name: text('name').notNull(),
    description: text('description'),
    layer: text('layer', { enum: componentLayers }).notNull(),
    source: text('source').notNull(),
    position: integer('position').notNull().default(0),
    overrideStatus: text('override_status', { enum: componentStatuses }),
    overrideUntil: integer('override_until'),
    /** Per-component thresholds overriding the documented defaults (JSON: degradedBelow, partialBelow, majorBelow, minEvents). */
    thresholds: text('thresholds', { mode: 'json' }).$type<Record<string, number> | null>(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [
    index('components_workspace_idx').on(t.workspaceId),
    uniqueIndex('components_source_idx').on(t.workspaceId, t.source),
  ],
);

export type Component = typeof components.$inferSelect;
