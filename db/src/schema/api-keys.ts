import { index, integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { apiKeyScopes } from './constants.ts';
import { workspaces } from './workspaces.ts';

/** Workspace API keys. Only the SHA-256 hash of the secret is stored; `prefix` lets an admin recognise a key. */
export const apiKeys = sqliteTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    workspaceId: text('workspace_id')
      .notNull()
      .references(() => workspaces.id),
    name: text('name').notNull(),
    scope: text('scope', { enum: apiKeyScopes }).notNull().default('admin'),
    tokenHash: text('token_hash').notNull().unique(),
    prefix: text('prefix').notNull(),
    createdAt: integer('created_at').notNull(),
    revokedAt: integer('revoked_at'),
  },
  (t) => [index('api_keys_workspace_idx').on(t.workspaceId)],
);

export type ApiKey = typeof apiKeys.$inferSelect;
