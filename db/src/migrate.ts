import { fileURLToPath } from 'node:url';
import type { LibSQLDatabase } from 'drizzle-orm/libsql';
import { migrate } from 'drizzle-orm/libsql/migrator';
import type { Database } from './client.ts';

export const migrationsFolder = fileURLToPath(new URL('../migrations', import.meta.url));

/** Applies drizzle-kit's migrations that the database has not seen yet (libSQL only; D1 uses wrangler). */
export async function migrateDb(database: Database): Promise<void> {
  await migrate(database.db as unknown as LibSQLDatabase, { migrationsFolder });
}
