import type { Deps } from '../deps.ts';
import { type ProbeBatchReport, probeSchedulerFor } from './scheduler.ts';

export type { ProbeBatchReport };

/**
 * The probes stage of the tick: runs the due probes, and waits for them at most `probes.waitMs` (Node:
 * a few seconds, so a hanging target never holds device liveness); past that the batch finishes in the
 * background and its probes are not claimed again while they run. Never throws: a failed stage is logged.
 */
export async function runDueProbes(
  deps: Pick<Deps, 'db'> & Partial<Pick<Deps, 'secretBox' | 'logger' | 'publicUrl' | 'probes' | 'notifier'>>,
  now: number,
): Promise<ProbeBatchReport | null> {
  const scheduler = probeSchedulerFor(
    {
      db: deps.db,
      secretBox: deps.secretBox,
      publicUrl: deps.publicUrl,
      logger: deps.logger,
      notifier: deps.notifier,
    },
    { fetcher: deps.probes?.fetcher },
  );
  const batch = scheduler.runDue(now).catch((err: unknown) => {
    deps.logger?.error('probes failed', { error: err instanceof Error ? err.message : String(err) });
    return null;
  });
  const waitMs = deps.probes?.waitMs;
  if (waitMs === undefined) return batch;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), waitMs);
  });
  try {
    return await Promise.race([batch, late]);
  } finally {
    clearTimeout(timer);
  }
}
