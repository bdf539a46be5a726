import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDb, type Database } from '@lifeline/db';
import { migrateDb } from '@lifeline/db/migrate';
import { devices, workspaces } from '@lifeline/db/schema';

export const TEST_WORKSPACE = 'ws';

/**
 * For the ingest tests: a migrated `file:` database in a fresh temporary folder, with workspace `ws` and
 * the given devices (30 s heartbeats). `close` closes it and deletes the folder.
 */
export async function openIngestTestDatabase(
  deviceIds: string[],
  createdAt: number,
): Promise<{ database: Database; url: string; close(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'lifeline-ingest-'));
  const url = `file:${join(dir, 'ingest.db')}`;
  const database = await createDb(url);
  await migrateDb(database);
  await database.db
    .insert(workspaces)
    .values({ id: TEST_WORKSPACE, slug: 'ws', name: 'ws', heartbeatIntervalMs: 30_000, createdAt });
  if (deviceIds.length > 0) {
    await database.db.insert(devices).values(
      deviceIds.map((id) => ({
        id,
        workspaceId: TEST_WORKSPACE,
        name: id,
        tokenHash: id,
        enrolledAt: createdAt,
        heartbeatIntervalMs: 30_000,
      })),
    );
  }
  return {
    database,
    url,
    async close() {
      database.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
