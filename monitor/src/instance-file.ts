/**
 * `<database>.instance` beside a `file:` database: which process serves it (pid, URL, start time), written
 * when a Node server starts and removed when it stops. `npm run restore` reads it to refuse replacing a
 * database under a running server; a file left by a crashed server names a dead process and is ignored.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';

export interface Instance {
  pid: number;
  url: string;
  startedAt: string;
}

const fileOf = (databasePath: string) => `${databasePath}.instance`;

/** Records this process as the database's server; the returned function removes the record (if still ours). */
export async function writeInstanceFile(
  databasePath: string,
  instance: Instance,
): Promise<() => Promise<void>> {
  const file = fileOf(databasePath);
  await writeFile(file, `${JSON.stringify(instance)}\n`, { mode: 0o600 });
  return async () => {
    const current = await readInstance(file);
    if (current?.pid === instance.pid) await rm(file, { force: true });
  };
}

/** The server that has the database open, if its process is alive. */
export async function liveInstance(databasePath: string): Promise<Instance | null> {
  const instance = await readInstance(fileOf(databasePath));
  return instance && isAlive(instance.pid) ? instance : null;
}

async function readInstance(file: string): Promise<Instance | null> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<Instance>;
    return typeof parsed.pid === 'number' && Number.isInteger(parsed.pid) && parsed.pid > 0
      ? { pid: parsed.pid, url: String(parsed.url ?? ''), startedAt: String(parsed.startedAt ?? '') }
      : null;
  } catch {
    return null; // missing or unreadable: no live server recorded
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // alive, another user's
  }
}
