/**
 * Runs one probe: each attempt makes the kind's requests under a hard timeout (one AbortSignal for the
 * whole attempt, redirects and body included), then the kind's pure evaluator judges the outcomes. A
 * down or unknown verdict is retried `retries` times after a short pause; the last verdict stands.
 */
import type { ProbeKind } from '@lifeline/db/schema';
import { type KindContext, PROBE_KINDS } from './kinds/index.ts';
import type { Fetcher, FetchOutcome, ProbeVerdict } from './types.ts';

/** The kinds that fetch something (an SMS canary runs on its own: `canary.ts`). */
export type FetchProbeKind = Exclude<ProbeKind, 'sms_canary'>;

export interface ProbeSpec {
  kind: FetchProbeKind;
  config: Record<string, unknown>;
  timeoutMs: number;
  retries: number;
  allowPrivate: boolean;
}

export interface RunContext extends KindContext {
  fetcher: Fetcher;
  /** The time the run is judged at (the tick's `now`). */
  now: number;
  /** Aborts every attempt (the scheduler stopping). */
  signal?: AbortSignal;
  /** Pause between attempts (default: 1 s, 2 s, … capped at 5 s). */
  retryDelayMs?: (attempt: number) => number;
  sleep?: (ms: number) => Promise<void>;
}

export type ProbeRun = ProbeVerdict & { attempts: number };

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function attempt(spec: ProbeSpec, ctx: RunContext): Promise<ProbeVerdict> {
  const kind = PROBE_KINDS[spec.kind];
  const timeout = AbortSignal.timeout(spec.timeoutMs);
  const signal = ctx.signal ? AbortSignal.any([timeout, ctx.signal]) : timeout;
  const requests = kind.requests(spec.config, ctx);
  const outcomes: FetchOutcome[] = [];
  for (const req of requests) {
    const o = await ctx.fetcher(req, { signal, allowPrivate: spec.allowPrivate });
    outcomes.push(o);
    if (!o.ok) break;
  }
  return kind.evaluate(spec.config, outcomes, ctx.now);
}

export async function runProbe(spec: ProbeSpec, ctx: RunContext): Promise<ProbeRun> {
  const sleep = ctx.sleep ?? defaultSleep;
  const delay = ctx.retryDelayMs ?? ((n: number) => Math.min(5_000, 1_000 * n));
  let last: ProbeVerdict = { status: 'unknown', latencyMs: null, detail: 'not run' };
  for (let n = 1; n <= spec.retries + 1; n++) {
    try {
      last = await attempt(spec, ctx);
    } catch (err) {
      last = {
        status: 'unknown',
        latencyMs: null,
        detail: `probe error: ${err instanceof Error ? err.message : String(err)}`,
      };
    }
    if (last.status === 'up' || last.status === 'degraded' || n > spec.retries || ctx.signal?.aborted)
      return { ...last, attempts: n };
    await sleep(delay(n));
  }
  return { ...last, attempts: spec.retries + 1 };
}
