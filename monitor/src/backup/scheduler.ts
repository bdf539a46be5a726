import { Worker } from 'node:worker_threads';
import type { Logger } from '../logger.ts';
import { type Backup, listBackups } from './backup.ts';
import { nextBackupAt } from './backup-plan.ts';

export interface BackupSchedule {
  /** Folder the backups go to (`BACKUP_DIR`). */
  dir: string;
  intervalMs: number;
  /** How many backups to keep; older ones are deleted after each new one. */
  keep: number;
}

export type BackupOutcome = { ok: true; backup: Backup; pruned: string[] } | { ok: false; error: string };

/** After a failed backup, the next attempt waits this long (or the interval, if shorter). */
const RETRY_MS = 10 * 60_000;

/**
 * Scheduled backups of the embedded database on Node (`BACKUP_DIR`): the tick asks `runIfDue` and a
 * backup starts when the newest one in the folder is an interval old (at once when there is none). Each
 * runs on a worker thread with its own connection, so requests and heartbeats carry on meanwhile.
 */
export class BackupScheduler {
  readonly #databasePath: string;
  readonly schedule: BackupSchedule;
  readonly #logger: Logger;
  readonly #run: (job: BackupJob) => Promise<BackupOutcome>;
  #nextAt: number | null = null;
  #running: Promise<BackupOutcome | null> | null = null;
  /** When the last backup succeeded (for metrics), once known. */
  lastSuccessAt: number | null = null;
  /** When the last attempt failed (null: none since this process started). */
  lastFailureAt: number | null = null;

  constructor(opts: {
    databasePath: string;
    schedule: BackupSchedule;
    logger: Logger;
    run?: (job: BackupJob) => Promise<BackupOutcome>;
  }) {
    this.#databasePath = opts.databasePath;
    this.schedule = opts.schedule;
    this.#logger = opts.logger;
    this.#run = opts.run ?? runBackupOnThread;
  }

  /**
   * Starts a backup if one is due and none is running; resolves with its outcome, or null if none
   * started. Never rejects: a failure is logged and retried later.
   */
  runIfDue(now: number): Promise<BackupOutcome | null> {
    return this.#start(now, false);
  }

  /**
   * Takes a backup now, whatever the schedule (an admin's "Back up now"); the next scheduled one is then an
   * interval later. Null if one is running already.
   */
  runNow(now: number): Promise<BackupOutcome | null> {
    return this.#start(now, true);
  }

  /** The schedule and the last outcomes, for the admin pages. */
  async status(): Promise<{
    schedule: BackupSchedule;
    lastSuccessAt: number | null;
    lastFailureAt: number | null;
    running: boolean;
    backups: { name: string; at: number }[];
  }> {
    const backups = await listBackups(this.schedule.dir).catch(() => []);
    return {
      schedule: this.schedule,
      lastSuccessAt: this.lastSuccessAt ?? backups.at(-1)?.at ?? null,
      lastFailureAt: this.lastFailureAt,
      running: this.#running !== null,
      backups: backups.reverse(),
    };
  }

  #start(now: number, force: boolean): Promise<BackupOutcome | null> {
    if (this.#running) return Promise.resolve(null);
    const attempt = this.#attempt(now, force).finally(() => {
      this.#running = null;
    });
    this.#running = attempt;
    return attempt;
  }

  async #attempt(now: number, force: boolean): Promise<BackupOutcome | null> {
    try {
      if (this.#nextAt === null) {
        const newest = (await listBackups(this.schedule.dir)).at(-1)?.at ?? null;
        this.lastSuccessAt = newest;
        this.#nextAt = nextBackupAt(newest, this.schedule.intervalMs);
      }
      if (!force && now < this.#nextAt) return null;
      const started = Date.now();
      const job = {
        databasePath: this.#databasePath,
        outDir: this.schedule.dir,
        now,
        keep: this.schedule.keep,
      };
      const outcome = await this.#run(job);
      if (!outcome.ok) throw new Error(outcome.error);
      this.lastSuccessAt = now;
      this.#nextAt = now + this.schedule.intervalMs;
      this.#logger.info('backup taken', {
        path: outcome.backup.path,
        bytes: outcome.backup.manifest.databaseBytes,
        ms: Date.now() - started,
        pruned: outcome.pruned.length,
      });
      return outcome;
    } catch (err) {
      const error = err instanceof Error ? err.message : String(err);
      this.lastFailureAt = now;
      this.#nextAt = now + Math.min(RETRY_MS, this.schedule.intervalMs);
      this.#logger.error('backup failed', { dir: this.schedule.dir, error });
      return { ok: false, error };
    }
  }

  /** Waits for a running backup to finish (before the database closes). */
  async idle(): Promise<void> {
    await this.#running;
  }
}

export interface BackupJob {
  databasePath: string;
  outDir: string;
  now: number;
  keep: number;
}

function runBackupOnThread(job: BackupJob): Promise<BackupOutcome> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./backup-thread-worker.ts', import.meta.url), { workerData: job });
    worker.once('message', (outcome: BackupOutcome) => resolve(outcome));
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the backup thread exited (code ${code})`)));
  });
}
