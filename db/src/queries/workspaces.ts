import { eq, isNotNull, sql } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { newId } from '../ids.ts';
import { type Workspace, workspaceSlugRedirects, workspaces } from '../schema/index.ts';

export async function countWorkspaces(db: Db): Promise<number> {
  const rows = await db.select({ id: workspaces.id }).from(workspaces).limit(1);
  return rows.length;
}

export async function findWorkspace(db: Db, id: string): Promise<Workspace | undefined> {
  const [row] = await db.select().from(workspaces).where(eq(workspaces.id, id));
  return row;
}

export async function findWorkspaceBySlug(db: Db, slug: string): Promise<Workspace | undefined> {
  const [row] = await db.select().from(workspaces).where(eq(workspaces.slug, slug));
  return row;
}

/** The workspace whose status page a host name of its own serves. */
export async function findWorkspaceByCustomDomain(db: Db, host: string): Promise<Workspace | undefined> {
  const [row] = await db.select().from(workspaces).where(eq(workspaces.customDomain, host));
  return row;
}

/** Every custom domain and the slug of the page it serves (a handful of rows). */
export function listCustomDomains(db: Db): Promise<{ host: string; slug: string }[]> {
  return db
    .select({ host: sql<string>`${workspaces.customDomain}`, slug: workspaces.slug })
    .from(workspaces)
    .where(isNotNull(workspaces.customDomain));
}

export function insertWorkspaceQuery(
  db: Db,
  input: { slug: string; name: string; now: number; heartbeatIntervalMs?: number },
) {
  const row: Workspace = {
    id: newId('ws', input.now),
    slug: input.slug,
    name: input.name,
    heartbeatIntervalMs: input.heartbeatIntervalMs ?? 30_000,
    about: null,
    websiteUrl: null,
    supportUrl: null,
    customDomain: null,
    createdAt: input.now,
  };
  return { row, query: db.insert(workspaces).values(row) };
}

/** Changes a workspace's settings; a slug another workspace holds makes it throw a UNIQUE violation. */
export function updateWorkspaceQuery(
  db: Db,
  id: string,
  patch: Partial<
    Pick<
      Workspace,
      'name' | 'slug' | 'heartbeatIntervalMs' | 'about' | 'websiteUrl' | 'supportUrl' | 'customDomain'
    >
  >,
) {
  return db.update(workspaces).set(patch).where(eq(workspaces.id, id));
}

/** Remembers that a workspace's page moved away from `slug` (replacing an older record of that slug). */
export function insertSlugRedirectQuery(db: Db, input: { slug: string; workspaceId: string; now: number }) {
  return db
    .insert(workspaceSlugRedirects)
    .values({ slug: input.slug, workspaceId: input.workspaceId, createdAt: input.now })
    .onConflictDoUpdate({
      target: workspaceSlugRedirects.slug,
      set: { workspaceId: input.workspaceId, createdAt: input.now },
    });
}

/** The workspace whose page used to be at `slug`, if that slug is not another workspace's now. */
export async function findMovedWorkspace(db: Db, slug: string): Promise<Workspace | undefined> {
  const [row] = await db
    .select({ workspace: workspaces })
    .from(workspaceSlugRedirects)
    .innerJoin(workspaces, eq(workspaces.id, workspaceSlugRedirects.workspaceId))
    .where(eq(workspaceSlugRedirects.slug, slug));
  if (!row || (await findWorkspaceBySlug(db, slug))) return undefined;
  return row.workspace;
}
