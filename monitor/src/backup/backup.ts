/**
 * Backups of the embedded (`file:`) database, taken while Lifeline runs.
 *
 * A backup is a folder named for its time (`backup-plan.ts`) holding `lifeline.db`, a consistent copy made
 * with SQLite's `VACUUM INTO` (one read transaction: writers carry on, and the copy is compact and has no
 * WAL), `secrets.key` when the installation keeps its key beside the database (without it the webhook
 * signing secrets in the copy cannot be opened), and `manifest.json` (time, size, SHA-256, migrations).
 * The copy passes `PRAGMA integrity_check` before the folder appears under its final name, so a folder with
 * that name is always complete; an interrupted backup leaves only a hidden `.…partial` folder, removed by
 * the next backup.
 */
import { createHash } from 'node:crypto';
import { chmod, copyFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { inspectDatabaseFile, vacuumInto } from '@lifeline/db/file-copy';
import { liveInstance } from '../instance-file.ts';
import { backupName, backupsToPrune, backupTime } from './backup-plan.ts';

export const BACKUP_DATABASE_FILE = 'lifeline.db';
export const SECRETS_KEY_FILE = 'secrets.key';
const MANIFEST_FILE = 'manifest.json';
const PARTIAL = /^\.lifeline-.*\.partial$/;

export interface BackupManifest {
  format: 1;
  createdAt: string;
  /** The database file the copy was taken from. */
  source: string;
  databaseBytes: number;
  databaseSha256: string;
  /** Drizzle migrations applied in the copy. */
  migrations: number;
  /** Whether `secrets.key` is in the folder (false when the key comes from `SECRETS_KEY`). */
  secretsKey: boolean;
}

export interface Backup {
  name: string;
  path: string;
  manifest: BackupManifest;
}

export class BackupError extends Error {}

/** Takes a backup of the database at `databasePath` into a new folder under `outDir`. */
export async function createBackup(opts: {
  databasePath: string;
  outDir: string;
  now: number;
}): Promise<Backup> {
  const { databasePath, outDir, now } = opts;
  if (!(await exists(databasePath))) throw new BackupError(`There is no database at ${databasePath}.`);
  await mkdir(outDir, { recursive: true, mode: 0o700 });
  const name = backupName(now);
  const path = join(outDir, name);
  if (await exists(path)) throw new BackupError(`${path} already exists.`);
  await removePartials(outDir);
  const partial = join(outDir, `.${name}.partial`);
  await mkdir(partial, { mode: 0o700 });
  try {
    const copy = join(partial, BACKUP_DATABASE_FILE);
    await vacuumInto(databasePath, copy);
    await chmod(copy, 0o600);
    const migrations = await verifyDatabase(copy);
    const keyFile = join(dirname(databasePath), SECRETS_KEY_FILE);
    const secretsKey = await exists(keyFile);
    if (secretsKey) {
      await copyFile(keyFile, join(partial, SECRETS_KEY_FILE));
      await chmod(join(partial, SECRETS_KEY_FILE), 0o600);
    }
    const manifest: BackupManifest = {
      format: 1,
      createdAt: new Date(now).toISOString(),
      source: databasePath,
      databaseBytes: (await stat(copy)).size,
      databaseSha256: await sha256File(copy),
      migrations,
      secretsKey,
    };
    await writeFile(join(partial, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`, { mode: 0o600 });
    await rename(partial, path);
    return { name, path, manifest };
  } catch (err) {
    await rm(partial, { recursive: true, force: true });
    throw err;
  }
}

/** The backups in `outDir`, oldest first. */
export async function listBackups(outDir: string): Promise<{ name: string; at: number }[]> {
  let names: string[];
  try {
    names = await readdir(outDir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return names
    .map((name) => ({ name, at: backupTime(name) }))
    .filter((b): b is { name: string; at: number } => b.at !== null)
    .sort((a, b) => a.at - b.at);
}

/** Deletes all but the `keep` newest backups in `outDir`; returns the names deleted. */
export async function pruneBackups(outDir: string, keep: number): Promise<string[]> {
  const doomed = backupsToPrune(
    (await listBackups(outDir)).map((b) => b.name),
    keep,
  );
  for (const name of doomed) await rm(join(outDir, name), { recursive: true, force: true });
  return doomed;
}

/** Reads a backup folder and checks it whole: manifest, checksum and SQLite's integrity check. */
export async function readBackup(path: string): Promise<Backup> {
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(await readFile(join(path, MANIFEST_FILE), 'utf8')) as BackupManifest;
  } catch {
    throw new BackupError(`${path} is not a Lifeline backup (no readable ${MANIFEST_FILE}).`);
  }
  const copy = join(path, BACKUP_DATABASE_FILE);
  if (!(await exists(copy))) throw new BackupError(`${copy} is missing.`);
  if ((await sha256File(copy)) !== manifest.databaseSha256)
    throw new BackupError(`${copy} does not match its manifest's SHA-256: the backup is damaged.`);
  if (manifest.secretsKey && !(await exists(join(path, SECRETS_KEY_FILE))))
    throw new BackupError(`${join(path, SECRETS_KEY_FILE)} is missing.`);
  await verifyDatabase(copy);
  return { name: basename(path), path, manifest };
}

/**
 * Puts a backup in place of the database at `databasePath` (and its `secrets.key`). Refuses while a live
 * Lifeline server has that database open (`instance-file.ts`) unless `force`. Nothing is deleted: the
 * files replaced, the `-wal` holding the old database's latest commits included, are renamed
 * `….before-restore-<time>`.
 */
export async function restoreBackup(opts: {
  backupPath: string;
  databasePath: string;
  now: number;
  force?: boolean;
}): Promise<{ backup: Backup; setAside: string[] }> {
  const { databasePath, now } = opts;
  const backup = await readBackup(opts.backupPath);
  const server = await liveInstance(databasePath);
  if (server && !opts.force)
    throw new BackupError(
      `Lifeline is running on ${databasePath} (pid ${server.pid}, ${server.url}): stop it first (or pass --force if that process is not Lifeline).`,
    );
  // `lifeline.db.before-restore-<time>` with its `-wal` and `-shm` beside it under the same name, so the
  // set-aside database opens whole.
  const aside = `${databasePath}.before-restore-${backupName(now).slice('lifeline-'.length)}`;
  const setAside: string[] = [];
  const putAside = async (file: string, to: string) => {
    if (!(await exists(file))) return;
    await rename(file, to);
    setAside.push(to);
  };
  await mkdir(dirname(databasePath), { recursive: true });
  await putAside(databasePath, aside);
  for (const ext of ['-wal', '-shm']) await putAside(`${databasePath}${ext}`, `${aside}${ext}`);
  const incoming = `${databasePath}.restoring`;
  await copyFile(join(backup.path, BACKUP_DATABASE_FILE), incoming);
  await chmod(incoming, 0o600);
  await rename(incoming, databasePath);
  if (backup.manifest.secretsKey) {
    const keyFile = join(dirname(databasePath), SECRETS_KEY_FILE);
    const fromBackup = await readFile(join(backup.path, SECRETS_KEY_FILE));
    const current = await readFile(keyFile).catch(() => null);
    if (!current?.equals(fromBackup)) {
      await putAside(keyFile, `${keyFile}${aside.slice(databasePath.length)}`);
      await writeFile(keyFile, fromBackup, { mode: 0o600 });
    }
  }
  return { backup, setAside };
}

/** Runs SQLite's integrity check on a copy; returns how many migrations it has. */
async function verifyDatabase(path: string): Promise<number> {
  const { integrity, migrations } = await inspectDatabaseFile(path);
  if (integrity !== 'ok') throw new BackupError(`${path} fails SQLite's integrity check: ${integrity}`);
  return migrations;
}

async function removePartials(outDir: string): Promise<void> {
  for (const name of await readdir(outDir))
    if (PARTIAL.test(name)) await rm(join(outDir, name), { recursive: true, force: true });
}

async function sha256File(path: string): Promise<string> {
  return createHash('sha256')
    .update(await readFile(path))
    .digest('hex');
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}
