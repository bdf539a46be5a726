import { eq } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { newId } from '../ids.ts';
import { type Workspace, workspaces } from '../schema/index.ts';

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
    createdAt: input.now,
  };
  return { row, query: db.insert(workspaces).values(row) };
}

/** Changes a workspace's name, slug or heartbeat interval; a slug another workspace holds throws a UNIQUE violation. */
export async function updateWorkspace(
  db: Db,
  id: string,
  patch: Partial<
    Pick<Workspace, 'name' | 'slug' | 'heartbeatIntervalMs' | 'about' | 'websiteUrl' | 'supportUrl'>
  >,
): Promise<Workspace | undefined> {
  const [row] = await db.update(workspaces).set(patch).where(eq(workspaces.id, id)).returning();
  return row;
}
