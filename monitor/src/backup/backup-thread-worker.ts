/** One scheduled backup off the event loop (see `scheduler.ts`): `VACUUM INTO` can take seconds on a large database. */
import { parentPort, workerData } from 'node:worker_threads';
import { createBackup, pruneBackups } from './backup.ts';

const job = workerData as { databasePath: string; outDir: string; now: number; keep: number };
try {
  const backup = await createBackup(job);
  const pruned = await pruneBackups(job.outDir, job.keep);
  parentPort!.postMessage({ ok: true, backup, pruned });
} catch (err) {
  parentPort!.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) });
}
