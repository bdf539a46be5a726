import { spawnSync } from 'node:child_process';
import { access, mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDb, type Database } from '@lifeline/db';
import { migrateDb } from '@lifeline/db/migrate';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeInstanceFile } from '../instance-file.ts';
import { jsonLogger } from '../logger.ts';
import { BackupError, createBackup, listBackups, readBackup, restoreBackup } from './backup.ts';
import { backupName } from './backup-plan.ts';
import { BackupScheduler } from './scheduler.ts';

const T0 = Date.UTC(2026, 10, 24, 3, 0, 0);
const DAY = 86_400_000;
let dir = '';
let dbPath = '';
let outDir = '';
let database: Database;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lifeline-backup-'));
  dbPath = join(dir, 'data', 'lifeline.db');
  outDir = join(dir, 'backups');
  database = await createDb(`file:${dbPath}`);
  await migrateDb(database);
  await database.client!.execute('CREATE TABLE writes (n INTEGER PRIMARY KEY, pad BLOB NOT NULL)');
  await writeFile(join(dir, 'data', 'secrets.key'), 'a'.repeat(44), { mode: 0o600 });
});
afterEach(async () => {
  database.close();
  await rm(dir, { recursive: true, force: true });
});

async function countIn(path: string): Promise<{ count: number; max: number }> {
  const copy = await createDb(`file:${path}`);
  try {
    const r = await copy.client!.execute('SELECT count(*) AS count, coalesce(max(n), 0) AS max FROM writes');
    return { count: Number(r.rows[0]!.count), max: Number(r.rows[0]!.max) };
  } finally {
    copy.close();
  }
}

const present = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

describe('createBackup', () => {
  it('takes a consistent copy on its own thread while another connection keeps committing', async () => {
    // About 16 MB, so the copy takes long enough for many commits to land meanwhile.
    await database.client!.execute(
      'WITH RECURSIVE i(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM i WHERE n < 4000) INSERT INTO writes SELECT n, randomblob(4000) FROM i',
    );
    const scheduler = new BackupScheduler({
      databasePath: dbPath,
      schedule: { dir: outDir, intervalMs: DAY, keep: 7 },
      logger: jsonLogger('silent'),
    });
    let n = 4000;
    let running = true;
    const backup = scheduler.runIfDue(T0).finally(() => {
      running = false;
    });
    const committedBefore = n;
    while (running) {
      n++;
      await database.client!.execute({ sql: 'INSERT INTO writes VALUES (?, randomblob(100))', args: [n] });
      await new Promise((r) => setImmediate(r));
    }
    const outcome = await backup;
    if (!outcome?.ok) throw new Error(`backup failed: ${JSON.stringify(outcome)}`);
    expect(n - committedBefore, 'commits made during the backup').toBeGreaterThan(0);
    const m = outcome.backup.manifest;
    expect(m.migrations).toBeGreaterThan(10);
    expect(m.secretsKey).toBe(true);
    expect(m.databaseBytes).toBe((await stat(join(outcome.backup.path, 'lifeline.db'))).size);
    expect(await readFile(join(outcome.backup.path, 'secrets.key'), 'utf8')).toBe('a'.repeat(44));
    for (const f of ['lifeline.db', 'secrets.key', 'manifest.json'])
      expect((await stat(join(outcome.backup.path, f))).mode & 0o777, f).toBe(0o600);
    expect(await readdir(outcome.backup.path), 'no -wal or -shm').toEqual([
      'lifeline.db',
      'manifest.json',
      'secrets.key',
    ]);
    expect((await readBackup(outcome.backup.path)).manifest).toEqual(m);
    expect(scheduler.lastSuccessAt).toBe(T0);
    // (Opening the copy the way Lifeline does switches it to WAL, so this comes last.)
    const copy = await countIn(join(outcome.backup.path, 'lifeline.db'));
    // A snapshot: a gapless prefix of the commits, at least every one made before it started.
    expect(copy.count).toBe(copy.max);
    expect(copy.max).toBeGreaterThanOrEqual(committedBefore);
    expect(copy.max).toBeLessThanOrEqual(n);
  });

  it('leaves the key out when it is not beside the database, and says so', async () => {
    await rm(join(dir, 'data', 'secrets.key'));
    const b = await createBackup({ databasePath: dbPath, outDir, now: T0 });
    expect(b.manifest.secretsKey).toBe(false);
    expect(await readdir(b.path)).toEqual(['lifeline.db', 'manifest.json']); // no -wal or -shm either
    await readBackup(b.path);
  });

  it('refuses a missing database and a second backup in the same second, leaving nothing behind', async () => {
    await expect(createBackup({ databasePath: join(dir, 'nope.db'), outDir, now: T0 })).rejects.toThrow(
      BackupError,
    );
    await createBackup({ databasePath: dbPath, outDir, now: T0 });
    await expect(createBackup({ databasePath: dbPath, outDir, now: T0 + 500 })).rejects.toThrow(
      /already exists/,
    );
    expect(await readdir(outDir)).toEqual([backupName(T0)]);
  });

  it('clears what an interrupted backup left', async () => {
    await mkdir(join(outDir, `.${backupName(T0 - DAY)}.partial`), { recursive: true });
    await mkdir(join(outDir, 'notes'));
    await createBackup({ databasePath: dbPath, outDir, now: T0 });
    expect((await readdir(outDir)).sort()).toEqual([backupName(T0), 'notes']);
  });
});

describe('readBackup', () => {
  it('finds a damaged copy, a missing key and a folder that is no backup', async () => {
    const b = await createBackup({ databasePath: dbPath, outDir, now: T0 });
    const copy = join(b.path, 'lifeline.db');
    const bytes = await readFile(copy);
    bytes[bytes.length - 10] = bytes[bytes.length - 10]! ^ 0xff;
    await writeFile(copy, bytes);
    await expect(readBackup(b.path)).rejects.toThrow(/damaged/);
    await rm(join(b.path, 'manifest.json'));
    await expect(readBackup(b.path)).rejects.toThrow(/not a Lifeline backup/);
    const c = await createBackup({ databasePath: dbPath, outDir, now: T0 + 1_000 });
    await rm(join(c.path, 'secrets.key'));
    await expect(readBackup(c.path)).rejects.toThrow(/secrets.key is missing/);
  });
});

describe('BackupScheduler', () => {
  it('backs up when due, keeps the newest few, and picks up the schedule from the folder', async () => {
    const schedule = { dir: outDir, intervalMs: DAY, keep: 2 };
    const make = () => new BackupScheduler({ databasePath: dbPath, schedule, logger: jsonLogger('silent') });
    const s = make();
    expect((await s.runIfDue(T0))?.ok).toBe(true);
    expect(await s.runIfDue(T0 + DAY - 1)).toBeNull();
    expect((await s.runIfDue(T0 + DAY))?.ok).toBe(true);
    expect((await s.runIfDue(T0 + 2 * DAY))?.ok).toBe(true);
    expect((await listBackups(outDir)).map((b) => b.at)).toEqual([T0 + DAY, T0 + 2 * DAY]);
    // A restarted server reads the newest backup's time: nothing due until a day after it.
    const restarted = make();
    expect(await restarted.runIfDue(T0 + 2 * DAY + 60_000)).toBeNull();
    expect(restarted.lastSuccessAt).toBe(T0 + 2 * DAY);
  });

  it('logs a failure, never throws, and tries again later', async () => {
    const lines: unknown[] = [];
    const logger = { ...jsonLogger('silent'), error: (msg: string, f?: object) => lines.push({ msg, ...f }) };
    await writeFile(join(dir, 'a-file'), 'not a folder');
    const s = new BackupScheduler({
      databasePath: dbPath,
      schedule: { dir: join(dir, 'a-file', 'backups'), intervalMs: DAY, keep: 2 },
      logger,
    });
    const outcome = await s.runIfDue(T0);
    expect(outcome?.ok).toBe(false);
    expect(lines).toHaveLength(1);
    expect(await s.runIfDue(T0 + 60_000)).toBeNull();
    expect((await s.runIfDue(T0 + 10 * 60_000))?.ok).toBe(false);
  });
});

describe('restoreBackup', () => {
  it('refuses while the database is open, then puts the backup in place and sets the old files aside', async () => {
    await database.client!.execute("INSERT INTO writes VALUES (1, x'00')");
    const b = await createBackup({ databasePath: dbPath, outDir, now: T0 });
    await database.client!.execute("INSERT INTO writes VALUES (2, x'00')");
    // A live server on this database (this process, as far as the file says): refused.
    const release = await writeInstanceFile(dbPath, {
      pid: process.pid,
      url: 'http://127.0.0.1:1',
      startedAt: '',
    });
    await expect(restoreBackup({ backupPath: b.path, databasePath: dbPath, now: T0 + DAY })).rejects.toThrow(
      /Lifeline is running on .* \(pid \d+, http:\/\/127.0.0.1:1\)/,
    );
    expect((await countIn(dbPath)).count, 'nothing changed').toBe(2);
    await release();
    // One left by a server that died is ignored.
    const dead = spawnSync(process.execPath, ['-e', '']).pid!;
    await writeInstanceFile(dbPath, { pid: dead, url: 'http://127.0.0.1:1', startedAt: '' });
    database.close();
    await writeFile(join(dir, 'data', 'secrets.key'), 'b'.repeat(44));
    // A closed connection lets go of its files a moment later (as a server's do once its process ends).
    while (await present(`${dbPath}-shm`)) await new Promise((r) => setTimeout(r, 10));
    const { setAside } = await restoreBackup({ backupPath: b.path, databasePath: dbPath, now: T0 + DAY });
    // The old database is set aside with its WAL (its latest commits may be only there).
    const aside = `${dbPath}.before-restore-2026-11-25T03-00-00Z`;
    expect(setAside).toEqual([aside, join(dir, 'data', 'secrets.key.before-restore-2026-11-25T03-00-00Z')]);
    expect(await present(`${dbPath}-wal`)).toBe(false);
    expect(await countIn(dbPath)).toEqual({ count: 1, max: 1 });
    expect(await countIn(setAside[0]!)).toEqual({ count: 2, max: 2 });
    expect(await readFile(join(dir, 'data', 'secrets.key'), 'utf8')).toBe('a'.repeat(44));
    expect((await stat(join(dir, 'data', 'secrets.key'))).mode & 0o777).toBe(0o600);
    database = await createDb(`file:${dbPath}`); // reopened, so afterEach closes something
  });

  it('restores into an empty folder', async () => {
    const b = await createBackup({ databasePath: dbPath, outDir, now: T0 });
    const target = join(dir, 'elsewhere', 'lifeline.db');
    const { setAside } = await restoreBackup({ backupPath: b.path, databasePath: target, now: T0 });
    expect(setAside).toEqual([]);
    expect((await countIn(target)).count).toBe(0);
    expect(await readFile(join(dir, 'elsewhere', 'secrets.key'), 'utf8')).toBe('a'.repeat(44));
  });
});
