import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { workspaces } from './workspaces.ts';

/** Statuspage's incident vocabulary (blueprint section 3). */
export const incidentStatuses = [
  'investigating',
  'identified',
  'monitoring',
  'resolved',
  'postmortem',
] as const;
export type IncidentStatus = (typeof incidentStatuses)[number];
export const incidentImpacts = ['none', 'minor', 'major', 'critical'] as const;
export type IncidentImpact = (typeof incidentImpacts)[number];

/** An incident shown on the public page, opened by an admin (later also by a public alert rule). */
export const incidents = sqliteTable(
  'incidents',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    name: text('name').notNull(),
    status: text('status', { enum: incidentStatuses }).notNull(),
    impact: text('impact', { enum: incidentImpacts }).notNull(),
    /** Components the incident affects; empty for none in particular. */
    componentIds: text('component_ids', { mode: 'json' }).$type<string[]>().notNull(),
    startedAt: integer('started_at').notNull(),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
    monitoringAt: integer('monitoring_at'),
    resolvedAt: integer('resolved_at'),
  },
  (t) => [index('incidents_workspace_started_idx').on(t.workspaceId, t.startedAt)],
);

/** The timestamped updates of an incident; each carries the status it moved the incident to. */
export const incidentUpdates = sqliteTable(
  'incident_updates',
  {
    id: text('id').primaryKey(),
    incidentId: text('incident_id')
      .notNull()
      .references(() => incidents.id),
    workspaceId: text('workspace_id').notNull(),
    status: text('status', { enum: incidentStatuses }).notNull(),
    body: text('body').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('incident_updates_incident_idx').on(t.incidentId, t.createdAt)],
);

export type Incident = typeof incidents.$inferSelect;
export type IncidentUpdate = typeof incidentUpdates.$inferSelect;
