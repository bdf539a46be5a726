import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

export const workspaces = sqliteTable('workspaces', {
  id: text('id').primaryKey(),
  slug: text('slug').notNull().unique(),
  name: text('name').notNull(),
  /** The heartbeat interval the server asks this workspace's devices to use. */
  heartbeatIntervalMs: integer('heartbeat_interval_ms').notNull().default(30_000),
  /** A sentence or two under the status page's title. */
  about: text('about'),
  /** The business's own site, linked from the status page (http or https). */
  websiteUrl: text('website_url'),
  /** Where customers report a problem: an https page or a mailto: address. */
  supportUrl: text('support_url'),
  /** A host name of the business's own (`status.example.com`) that serves this status page too. */
  customDomain: text('custom_domain').unique(),
  createdAt: integer('created_at').notNull(),
});

export type Workspace = typeof workspaces.$inferSelect;

/**
 * Slugs a workspace's status page has moved away from: `/s/<old>` redirects to the page's current address
 * (links in emails already sent keep working), unless another workspace has since taken that slug.
 */
export const workspaceSlugRedirects = sqliteTable('workspace_slug_redirects', {
  slug: text('slug').primaryKey(),
  workspaceId: text('workspace_id')
    .notNull()
    .references(() => workspaces.id),
  createdAt: integer('created_at').notNull(),
});
