/**
 * The pure rules of webhook delivery: the retry schedule and what an attempt's outcome does to a
 * delivery. No I/O here; `dispatcher.ts` does the HTTP and the writes.
 */

/** Delay before retry n (after the nth failed attempt): 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, then every 2 h. */
export const RETRY_SCHEDULE_MS = [5_000, 30_000, 120_000, 600_000, 1_800_000, 3_600_000, 7_200_000] as const;

/** Jitter spreads retries of many deliveries that failed together: ±20 % around the schedule. */
export const RETRY_JITTER = 0.2;

/** Longest text kept as a delivery's last error. */
export const MAX_ERROR_LENGTH = 500;

/**
 * The delay before the next attempt after `failedAttempts` failures (≥ 1), with jitter from `random`
 * (0 ≤ random < 1; 0.5 gives the schedule exactly). Capped at the last step of the schedule.
 */
export function retryDelayMs(failedAttempts: number, random: () => number = Math.random): number {
  const step = Math.min(Math.max(failedAttempts, 1), RETRY_SCHEDULE_MS.length) - 1;
  const base = RETRY_SCHEDULE_MS[step]!;
  return Math.round(base * (1 - RETRY_JITTER + 2 * RETRY_JITTER * random()));
}

/** What one attempt produced: an HTTP status (with the start of the body), or an error before any response. */
export type AttemptOutcome = { statusCode: number; body?: string } | { error: string };

export type DeliveryDecision =
  | { kind: 'delivered'; statusCode: number }
  | { kind: 'retry'; statusCode: number | null; error: string; nextAttemptAt: number }
  | { kind: 'dead'; statusCode: number | null; error: string };

/**
 * Decides a delivery after an attempt. A 2xx delivers it. Anything else (3xx included: redirects are not
 * followed, so a receiver's URL cannot send signed events elsewhere) is a failure, retried on the
 * schedule while the next attempt is still before the deadline, else dead-lettered with its error.
 */
export function decideDelivery(input: {
  outcome: AttemptOutcome;
  /** Attempts before this one. */
  attempts: number;
  now: number;
  deadlineAt: number;
  random?: () => number;
}): DeliveryDecision {
  const { outcome } = input;
  if ('statusCode' in outcome && outcome.statusCode >= 200 && outcome.statusCode < 300) {
    return { kind: 'delivered', statusCode: outcome.statusCode };
  }
  const statusCode = 'statusCode' in outcome ? outcome.statusCode : null;
  const error = truncateError(
    'error' in outcome ? outcome.error : describeStatus(outcome.statusCode, outcome.body),
  );
  const nextAttemptAt = input.now + retryDelayMs(input.attempts + 1, input.random);
  if (nextAttemptAt >= input.deadlineAt) return { kind: 'dead', statusCode, error };
  return { kind: 'retry', statusCode, error, nextAttemptAt };
}

export function describeStatus(statusCode: number, body?: string): string {
  const head =
    statusCode >= 300 && statusCode < 400
      ? `HTTP ${statusCode} (redirect not followed)`
      : `HTTP ${statusCode}`;
  const text = body?.replace(/\s+/g, ' ').trim();
  return text ? `${head}: ${text}` : head;
}

export function truncateError(error: string): string {
  return error.length <= MAX_ERROR_LENGTH ? error : `${error.slice(0, MAX_ERROR_LENGTH - 1)}…`;
}

/** A short, secret-free description of a fetch failure (timeout, refused connection, TLS, …). */
export function describeFetchError(err: unknown, timeoutMs: number): string {
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') {
    return `Timed out after ${timeoutMs / 1000} s`;
  }
  const cause = e?.cause?.code ?? e?.cause?.message;
  const message = e?.message ?? String(err);
  return cause ? `${message}: ${cause}` : message;
}
