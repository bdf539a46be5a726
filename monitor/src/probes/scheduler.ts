/**
 * Runs due probes on the tick: claims them in the database (a lease, so two processes never run one probe
 * at once), runs them with a concurrency limit, and records each result as it lands. A probe still
 * running in this process is not claimed again, and its lease keeps other processes off it: a hanging
 * target costs one slot until its hard timeout, never a pile-up.
 */
import {
  addPlatformProbeQuery,
  claimDueProbes,
  type Db,
  type ProbeOutcome,
  recordProbeOutcomeQueries,
} from '@lifeline/db';
import type { Probe } from '@lifeline/db/schema';
import { bucketStartOf, GRANULARITIES } from '../domain/buckets.ts';
import type { Logger } from '../logger.ts';
import type { WorkNotifier } from '../pipeline/notifier.ts';
import type { SecretBox } from '../secret-box.ts';
import { runCanary } from './canary.ts';
import { webFetcher } from './fetch-web.ts';
import { ingestErrorsFor, MAX_5XX_SHARE, tooManyErrors } from './ingest-errors.ts';
import { type FetchProbeKind, type ProbeRun, runProbe } from './runner.ts';
import type { Fetcher, ProbeStatus } from './types.ts';

export interface ProbeSchedulerDeps {
  db: Db;
  secretBox?: SecretBox | null;
  publicUrl?: string;
  logger?: Logger;
  /** Wakes the sending phone's long poll when an SMS canary is queued. */
  notifier?: WorkNotifier;
}

export interface ProbeSchedulerOptions {
  fetcher?: Fetcher;
  /** Probes running at once in this process (default 50). */
  concurrency?: number;
  /** Most probes claimed per tick (default 5,000). */
  maxPerTick?: number;
  /** Random in [0, 1) for the jitter (injected for tests). */
  random?: () => number;
  retryDelayMs?: (attempt: number) => number;
}

export interface ProbeBatchReport {
  claimed: number;
  completed: number;
  byStatus: Record<ProbeStatus, number>;
  /** Probes still running from an earlier tick, not started again. */
  stillRunning: number;
}

export const probeSecretContext = (probeId: string) => `probe:${probeId}`;

/**
 * The next run: one interval after this one, less up to 10 % (at most 30 s) of jitter, so probes created
 * together drift apart and a probe is never later than its interval plus the tick's granularity.
 */
export function nextRunAt(now: number, intervalMs: number, random: number): number {
  return now + intervalMs - Math.floor(random * Math.min(intervalMs * 0.1, 30_000));
}

export class ProbeScheduler {
  #deps: ProbeSchedulerDeps;
  #opts: ProbeSchedulerOptions;
  readonly #running = new Set<string>();

  constructor(deps: ProbeSchedulerDeps, opts: ProbeSchedulerOptions = {}) {
    this.#deps = deps;
    this.#opts = opts;
  }

  /** Takes the current deps and options (the public URL may be learnt after start, on Workers). */
  update(deps: ProbeSchedulerDeps, opts: ProbeSchedulerOptions): void {
    this.#deps = deps;
    this.#opts = opts;
  }

  get running(): number {
    return this.#running.size;
  }

  /** Claims the due probes and runs them; resolves when every probe of this batch is recorded. */
  async runDue(now: number): Promise<ProbeBatchReport> {
    const { db } = this.#deps;
    const claimed = await claimDueProbes(db, now, this.#opts.maxPerTick ?? 5_000, [...this.#running]);
    const report: ProbeBatchReport = {
      claimed: claimed.length,
      completed: 0,
      byStatus: { up: 0, degraded: 0, down: 0, unknown: 0 },
      stillRunning: this.#running.size,
    };
    for (const p of claimed) this.#running.add(p.id);
    let next = 0;
    const worker = async () => {
      while (next < claimed.length) {
        const probe = claimed[next++]!;
        try {
          const run = await this.#run(probe, now);
          report.completed++;
          report.byStatus[run.status]++;
        } catch (err) {
          this.#deps.logger?.error('probe failed to record', {
            probeId: probe.id,
            error: err instanceof Error ? err.message : String(err),
          });
        } finally {
          this.#running.delete(probe.id);
        }
      }
    };
    const width = Math.max(1, Math.min(this.#opts.concurrency ?? 50, claimed.length));
    await Promise.all(Array.from({ length: width }, worker));
    return report;
  }

  async #run(probe: Probe, now: number): Promise<ProbeRun> {
    const { db } = this.#deps;
    // An SMS canary judges its last test message and queues the next: no request, no retries.
    const canary = probe.kind === 'sms_canary' ? await runCanary(db, probe, now) : null;
    let run: ProbeRun = canary ? canary.run : await this.#fetchRun(probe, now);
    // Layer 1: a self-probe minute is good only if the ingest API's 5xx share stayed under 1 % too.
    const ingest =
      probe.kind === 'self' && run.status !== 'unknown' ? ingestErrorsFor(db).takeLastMinute(now) : null;
    if (ingest && run.status === 'up' && tooManyErrors(ingest))
      run = {
        ...run,
        status: 'degraded',
        componentStatus: 'degraded_performance',
        detail: `${run.detail}; but ${ingest.errors5xx} of ${ingest.requests} ingest requests answered 5xx in the last minute (limit ${MAX_5XX_SHARE * 100} %)`,
      };
    const outcome: ProbeOutcome = {
      probeId: probe.id,
      workspaceId: probe.workspaceId,
      checkedAt: now,
      status: run.status,
      componentStatus: run.status === 'unknown' ? null : (run.componentStatus ?? null),
      latencyMs: run.latencyMs,
      attempts: run.attempts,
      detail: run.detail.slice(0, 1_000),
      data: run.data ?? null,
      nextRunAt: nextRunAt(now, probe.intervalMs, (this.#opts.random ?? Math.random)()),
    };
    const queries = [
      ...recordProbeOutcomeQueries(db, outcome),
      ...(canary?.queries ?? []),
      // Self-probes feed Layer 1 (platform uptime); an unknown run (no URL) is not a platform minute.
      ...(ingest
        ? [
            addPlatformProbeQuery(db, {
              buckets: GRANULARITIES.map((g) => ({ granularity: g, bucketStart: bucketStartOf(now, g) })),
              ok: run.status === 'up',
              requests: ingest.requests,
              errors5xx: ingest.errors5xx,
            }),
          ]
        : []),
    ];
    const [first, ...rest] = queries;
    await db.batch([first!, ...rest]);
    if (canary?.queued) this.#deps.notifier?.notify(probe.workspaceId);
    return run;
  }

  /** A probe that fetches: its secret opened, its attempts run with retries under the hard timeout. */
  async #fetchRun(probe: Probe, now: number): Promise<ProbeRun> {
    const { secretBox } = this.#deps;
    // A secret that does not open (no SECRETS_KEY, or another key) makes the run unknown, not a crash.
    const secret =
      probe.secretCiphertext === null
        ? null
        : ((await secretBox?.open(probe.secretCiphertext, probeSecretContext(probe.id)).catch(() => null)) ??
          false);
    if (secret === false)
      return {
        status: 'unknown',
        latencyMs: null,
        detail: 'the stored secret cannot be opened (is SECRETS_KEY the one it was sealed with?)',
        attempts: 0,
      };
    return runProbe(
      {
        kind: probe.kind as FetchProbeKind,
        config: probe.config,
        timeoutMs: probe.timeoutMs,
        retries: probe.retries,
        // A self-probe's target is this deployment's own PUBLIC_URL, often on a private address.
        allowPrivate: probe.allowPrivate || probe.kind === 'self',
      },
      {
        fetcher: this.#opts.fetcher ?? webFetcher,
        now,
        secret,
        publicUrl: this.#deps.publicUrl ?? '',
        retryDelayMs: this.#opts.retryDelayMs,
      },
    );
  }
}

const schedulers = new WeakMap<Db, ProbeScheduler>();

/** This process's scheduler for a database (so probes still running are known across ticks). */
export function probeSchedulerFor(deps: ProbeSchedulerDeps, opts?: ProbeSchedulerOptions): ProbeScheduler {
  let s = schedulers.get(deps.db);
  if (!s) {
    s = new ProbeScheduler(deps, opts);
    schedulers.set(deps.db, s);
  } else s.update(deps, opts ?? {});
  return s;
}
