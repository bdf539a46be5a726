/**
 * Backups of the embedded database, by hand:
 *
 *   npm run backup [-- --out DIR] [--keep N]    a backup now, while Lifeline runs (default DIR: BACKUP_DIR, else ./backups)
 *   npm run restore -- --from DIR/lifeline-…Z [--force]   put a backup in place (Lifeline stopped)
 *
 * Uses DATABASE_URL like `npm start` (a `file:` database; Turso keeps its own backups). Exit codes: 0 done,
 * 1 the backup or restore failed (nothing was changed), 2 bad usage or configuration.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { BackupError, createBackup, pruneBackups, restoreBackup } from './backup/backup.ts';
import { loadConfigOrReport } from './config.ts';

const USAGE = [
  'Usage: npm run backup [-- --out <dir>] [--keep <n>]',
  '       npm run restore -- --from <backup folder> [--force]',
].join('\n');

export async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [command, ...args] = argv;
  let values: { out?: string; keep?: string; from?: string; force?: boolean };
  try {
    ({ values } = parseArgs({
      args,
      options: {
        out: { type: 'string' },
        keep: { type: 'string' },
        from: { type: 'string' },
        force: { type: 'boolean' },
      },
      strict: true,
    }));
  } catch (err) {
    console.error(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const config = loadConfigOrReport(env);
  if (!config) return 2;
  const url = config.DATABASE_URL;
  const databasePath = url.startsWith('file:') ? (url.slice('file:'.length).split('?')[0] ?? '') : '';
  if (!databasePath || databasePath === ':memory:') {
    console.error(
      'DATABASE_URL: backups are for a file: database. A remote libSQL database (Turso) keeps its own backups; use its point-in-time restore.',
    );
    return 2;
  }
  try {
    if (command === 'backup') return await backup(databasePath, values, config.BACKUP_DIR);
    if (command === 'restore') return await restore(databasePath, values);
  } catch (err) {
    if (!(err instanceof BackupError)) throw err;
    console.error(err.message);
    return 1;
  }
  console.error(USAGE);
  return 2;
}

async function backup(
  databasePath: string,
  values: { out?: string; keep?: string; from?: string; force?: boolean },
  backupDir: string | undefined,
): Promise<number> {
  if (values.from !== undefined || values.force !== undefined) {
    console.error(`--from and --force are for restore.\n${USAGE}`);
    return 2;
  }
  const keep = values.keep === undefined ? null : Number(values.keep);
  if (keep !== null && !(Number.isInteger(keep) && keep >= 1)) {
    console.error(`--keep: must be a whole number of at least 1, not "${values.keep}".\n${USAGE}`);
    return 2;
  }
  const outDir = values.out ?? backupDir ?? './backups';
  const started = Date.now();
  const taken = await createBackup({ databasePath, outDir, now: started });
  const pruned = keep === null ? [] : await pruneBackups(outDir, keep);
  const m = taken.manifest;
  console.log(
    [
      `Backup written to ${resolve(taken.path)} in ${Date.now() - started} ms`,
      `  lifeline.db  ${m.databaseBytes} bytes, integrity ok, ${m.migrations} migrations, sha256 ${m.databaseSha256}`,
      m.secretsKey
        ? '  secrets.key  included (it opens the stored webhook secrets: keep this folder private)'
        : '  secrets.key  not included: the key comes from SECRETS_KEY, so keep that value with the backup',
      ...(pruned.length > 0 ? [`  removed ${pruned.length} older backup(s): ${pruned.join(', ')}`] : []),
    ].join('\n'),
  );
  return 0;
}

async function restore(
  databasePath: string,
  values: { out?: string; keep?: string; from?: string; force?: boolean },
): Promise<number> {
  if (values.from === undefined || values.out !== undefined || values.keep !== undefined) {
    console.error(`restore needs --from <backup folder> (and takes no --out or --keep).\n${USAGE}`);
    return 2;
  }
  const { backup, setAside } = await restoreBackup({
    backupPath: values.from,
    databasePath,
    now: Date.now(),
    force: values.force === true,
  });
  console.log(
    [
      `Restored ${backup.name} (taken ${backup.manifest.createdAt}) to ${resolve(databasePath)}.`,
      ...setAside.map((f) => `  kept the replaced file as ${f}`),
      'Start Lifeline again with `npm start`.',
    ].join('\n'),
  );
  return 0;
}

if (import.meta.main) process.exitCode = await main(process.argv.slice(2), process.env);
