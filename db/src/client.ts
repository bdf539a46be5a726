import { type Client, createClient as createNodeClient } from '@libsql/client';
import type { BatchItem, BatchResponse } from 'drizzle-orm/batch';
import { drizzle } from 'drizzle-orm/libsql';
import type { BaseSQLiteDatabase } from 'drizzle-orm/sqlite-core';
import * as schema from './schema/index.ts';

export type Schema = typeof schema;

/**
 * The database as the rest of Lifeline sees it: drizzle's async SQLite dialect, which libSQL (file or
 * remote) and Cloudflare D1 share. Multi-statement writes go through `batch`, which is atomic on both
 * (an interactive transaction is not available on D1).
 */
// biome-ignore lint/suspicious/noExplicitAny: the run-result type differs per driver and is never read.
export type Db = BaseSQLiteDatabase<'async', any, Schema> & {
  batch<U extends BatchItem<'sqlite'>, T extends Readonly<[U, ...U[]]>>(batch: T): Promise<BatchResponse<T>>;
};

export interface Database {
  db: Db;
  /** The underlying libSQL client, for migrations and raw statements. Absent on D1. */
  client?: Client;
  close(): void;
}

export const DEFAULT_DATABASE_URL = 'file:./data/lifeline.db';

/** How long a write waits for another connection's transaction (the heartbeat writer thread's, a second process) before SQLITE_BUSY. */
const BUSY_TIMEOUT_MS = 5_000;

export interface CreateDbOptions {
  authToken?: string;
  /** Custom client factory; the web build passes @libsql/client/web's. */
  createClient?: typeof createNodeClient;
}

/**
 * Opens a libSQL database: `file:` (embedded, WAL) or `libsql://` / `http(s)://` (Turso, sqld).
 * Creates the folder of a `file:` database if it is missing.
 */
export async function createDb(
  url: string = DEFAULT_DATABASE_URL,
  options: CreateDbOptions = {},
): Promise<Database> {
  const isFile = url.startsWith('file:');
  if (isFile) await ensureParentFolder(url);
  const factory = options.createClient ?? createNodeClient;
  // A file database gets one connection: the PRAGMAs below are per connection, and @libsql/client would
  // otherwise open more (up to 20) under concurrent calls, without them (foreign keys off, no busy wait).
  // Every call on it is synchronous, so one connection serves a thread without waiting.
  const client = factory(
    isFile
      ? { url, authToken: options.authToken, concurrency: 1, timeout: BUSY_TIMEOUT_MS }
      : { url, authToken: options.authToken },
  );
  if (isFile) {
    // WAL lets readers run beside the writer; FULL makes every acknowledged commit survive a power cut.
    await client.execute('PRAGMA journal_mode = WAL');
    await client.execute('PRAGMA synchronous = FULL');
    await client.execute(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    await client.execute('PRAGMA foreign_keys = ON');
  }
  const db = drizzle(client, { schema }) as unknown as Db;
  return { db, client, close: () => client.close() };
}

async function ensureParentFolder(url: string): Promise<void> {
  const path = url.slice('file:'.length).split('?')[0] ?? '';
  if (!path || path === ':memory:') return;
  const { mkdir } = await import('node:fs/promises');
  const { dirname } = await import('node:path');
  await mkdir(dirname(path), { recursive: true });
}
