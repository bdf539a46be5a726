/**
 * Copying and checking a `file:` database, for backups (Node only). Both use a plain connection: no
 * PRAGMAs are set, so a copy stays in SQLite's rollback-journal mode and reading it leaves no `-wal` or
 * `-shm` file beside it (Lifeline switches a database to WAL when it opens it).
 */
import { createClient } from '@libsql/client';

/**
 * Writes a consistent, compact copy of the database at `source` to `target` (which must not exist) with
 * `VACUUM INTO`: one read transaction, so writers on other connections carry on meanwhile.
 */
export async function vacuumInto(source: string, target: string): Promise<void> {
  const client = createClient({ url: `file:${source}`, concurrency: 1, timeout: 5_000 });
  try {
    await client.execute('PRAGMA busy_timeout = 5000');
    await client.execute({ sql: 'VACUUM INTO ?', args: [target] });
  } finally {
    client.close();
  }
}

/** SQLite's integrity check of a database file (`ok` when sound) and how many migrations it has. */
export async function inspectDatabaseFile(path: string): Promise<{ integrity: string; migrations: number }> {
  const client = createClient({ url: `file:${path}`, concurrency: 1 });
  try {
    const check = await client.execute('PRAGMA integrity_check');
    const integrity = check.rows.map((r) => String(r[0])).join('; ');
    const table = await client.execute(
      "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '__drizzle_migrations'",
    );
    if (table.rows.length === 0) return { integrity, migrations: 0 };
    const n = await client.execute('SELECT count(*) FROM __drizzle_migrations');
    return { integrity, migrations: Number(n.rows[0]![0]) };
  } finally {
    client.close();
  }
}
