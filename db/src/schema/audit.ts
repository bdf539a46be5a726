import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { workspaces } from './workspaces.ts';

export const auditActorKinds = ['api_key', 'admin_user'] as const;

/**
 * Who changed what in a workspace, and when: each change an API key or a signed-in admin asked for
 * (refused ones too), never the request's values (they may be secrets or personal data), only the names
 * of the fields it set. A change's row is written before the change is made and completed with its
 * status after. Kept as long as the rollups.
 */
export const auditEvents = sqliteTable(
  'audit_events',
  {
    /** Insertion order: the log's order, even within one millisecond (the API shows it as `aud_<seq>`). */
    seq: integer('seq').primaryKey({ autoIncrement: true }),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    at: integer('at').notNull(),
    actorKind: text('actor_kind', { enum: auditActorKinds }).notNull(),
    /** The API key's or the admin's id. */
    actorId: text('actor_id').notNull(),
    /** What the actor was called at the time: `<key name> (<prefix>…)` or the admin's email. */
    actorLabel: text('actor_label').notNull(),
    /** `PATCH /v1/devices/:id`, or an admin page and its form's action: `POST /admin/keys revoke-key`. */
    action: text('action').notNull(),
    /** The id the action was about, when there is one. */
    target: text('target'),
    /** Names of the fields the request set (top-level keys of its body or form). */
    fields: text('fields', { mode: 'json' }).$type<string[]>().notNull(),
    /**
     * The answer's status: 2xx/3xx done, 4xx refused. Null: the row was written before the change (so no
     * change goes unrecorded) and its outcome never was: the server stopped, or the database failed, in
     * between.
     */
    status: integer('status'),
    requestId: text('request_id'),
  },
  (t) => [
    index('audit_events_workspace_idx').on(t.workspaceId, t.seq),
    index('audit_events_at_idx').on(t.at),
  ],
);

export type AuditEvent = typeof auditEvents.$inferSelect;
export type NewAuditEvent = Omit<AuditEvent, 'seq'>;
