import { and, desc, eq, isNull } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { newId } from '../ids.ts';
import { type ApiKey, type ApiKeyScope, apiKeys } from '../schema/index.ts';

export function insertApiKeyQuery(
  db: Db,
  input: {
    workspaceId: string;
    name: string;
    tokenHash: string;
    prefix: string;
    now: number;
    scope?: ApiKeyScope;
  },
) {
  const row: ApiKey = {
    id: newId('key', input.now),
    workspaceId: input.workspaceId,
    name: input.name,
    scope: input.scope ?? 'admin',
    tokenHash: input.tokenHash,
    prefix: input.prefix,
    createdAt: input.now,
    revokedAt: null,
  };
  return { row, query: db.insert(apiKeys).values(row) };
}

export async function findActiveApiKeyByHash(db: Db, tokenHash: string): Promise<ApiKey | undefined> {
  const [row] = await db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.tokenHash, tokenHash), isNull(apiKeys.revokedAt)));
  return row;
}

export function listApiKeys(db: Db, workspaceId: string): Promise<ApiKey[]> {
  return db
    .select()
    .from(apiKeys)
    .where(eq(apiKeys.workspaceId, workspaceId))
    .orderBy(desc(apiKeys.createdAt));
}

/** Revokes a key of this workspace; returns false when there is no such active key. */
export async function revokeApiKey(db: Db, workspaceId: string, id: string, now: number): Promise<boolean> {
  const rows = await db
    .update(apiKeys)
    .set({ revokedAt: now })
    .where(and(eq(apiKeys.workspaceId, workspaceId), eq(apiKeys.id, id), isNull(apiKeys.revokedAt)))
    .returning({ id: apiKeys.id });
  return rows.length > 0;
}
