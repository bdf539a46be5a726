import { is } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import { SQLiteRaw } from 'drizzle-orm/sqlite-core/query-builders/raw';
import type { Database, Db } from './client.ts';
import * as schema from './schema/index.ts';

/**
 * The parts of a Cloudflare D1 binding (`env.DB`) this package relies on. Declared here so the db package
 * needs no Workers type package; the real `D1Database` satisfies it.
 */
export interface D1Binding {
  prepare(query: string): unknown;
  batch(statements: unknown[]): Promise<unknown[]>;
  exec(query: string): Promise<unknown>;
}

/**
 * Opens Lifeline's database on a Cloudflare D1 binding. D1 runs the same drizzle queries as libSQL;
 * its schema is applied by `wrangler d1 migrations apply`, from the same migrations folder.
 */
export function createD1Db(binding: D1Binding): Database {
  // drizzle's D1 driver types its client as Workers' `D1Database`, which this package does not import.
  const db = drizzle(binding as Parameters<typeof drizzle>[0], { schema }) as unknown as Db;

  // drizzle's D1 batch binds each item's prepared statement (`stmt`), which a raw `db.run(sql…)` with
  // parameters does not have (drizzle-orm#2277), so such an item throws "reading 'bind'". Give it one.
  const batch = db.batch.bind(db) as unknown as (queries: readonly unknown[]) => Promise<unknown>;
  db.batch = ((queries: readonly unknown[]) => {
    for (const query of queries) {
      if (is(query, SQLiteRaw) && !('stmt' in query)) {
        Object.defineProperty(query, 'stmt', { value: binding.prepare(query.getQuery().sql) });
      }
    }
    return batch(queries);
  }) as unknown as Db['batch'];

  return { db, close: () => {} };
}
