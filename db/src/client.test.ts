import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Database } from './client.ts';

const require = createRequire(import.meta.url);
let dir: string;
let database: Database;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lifeline-client-'));
  database = await createDb(`file:${join(dir, 'c.db')}`);
});
afterAll(async () => {
  database.close();
  await rm(dir, { recursive: true, force: true });
});

describe('createDb (file)', () => {
  it('applies its PRAGMAs to every statement, however many run at once', async () => {
    // @libsql/client opens another pooled connection for each call made while one is borrowed; those
    // would run without foreign keys, a busy timeout or synchronous=FULL.
    const client = database.client!;
    const pragma = (name: string) =>
      client.execute(`PRAGMA ${name}`).then((rs) => Number(Object.values(rs.rows[0] ?? {})[0]));
    const many = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        pragma(['foreign_keys', 'busy_timeout', 'synchronous'][i % 3] as string),
      ),
    );
    for (let i = 0; i < many.length; i++) expect(many[i]).toBe([1, 5000, 2][i % 3]);
    expect((await client.execute('PRAGMA journal_mode')).rows[0]?.[0]).toBe('wal');
  });

  it('waits for another connection that holds the write lock instead of failing with SQLITE_BUSY', async () => {
    const client = database.client!;
    await client.execute('CREATE TABLE IF NOT EXISTS t (n INTEGER)');
    // Another thread takes the write lock and keeps it for 300 ms.
    const holder = new Worker(
      `const { workerData, parentPort } = require('node:worker_threads');
       const Database = require(workerData.libsql);
       const db = new Database(workerData.path);
       db.exec('BEGIN IMMEDIATE; INSERT INTO t (n) VALUES (1)');
       parentPort.postMessage('locked');
       Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 300);
       db.exec('COMMIT');
       db.close();`,
      { eval: true, workerData: { libsql: require.resolve('libsql'), path: join(dir, 'c.db') } },
    );
    await new Promise((r) => holder.once('message', r));
    await client.execute('INSERT INTO t (n) VALUES (2)');
    await new Promise((r) => holder.once('exit', r));
    const rs = await client.execute('SELECT count(*) AS n FROM t');
    expect(Number(rs.rows[0]?.n)).toBe(2);
  });
});
