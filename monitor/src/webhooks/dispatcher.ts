/**
 * Delivers the webhook outbox (`webhook_deliveries`, written in the same transaction as each message
 * change). Runs on the tick. Each run:
 * - dead-letters pending rows past their deadline;
 * - leases due rows (UPDATE … RETURNING with a lease owner and expiry, so two dispatchers never send one
 *   row), fairly across endpoints, a few per endpoint;
 * - sends each endpoint's rows in order, one at a time, with up to `concurrency` endpoints in flight: a
 *   slow or failing endpoint holds one slot for at most its timeout, and after its first failure in a run
 *   its remaining rows are given back untouched, so it costs one attempt per run;
 * - records each attempt: delivered, retried on the schedule of `policy.ts`, or dead.
 * Delivery is at least once (a crash between the POST and the write sends again later); the `webhook-id`
 * header is the same on every attempt, so receivers drop repeats.
 */
import {
  type ClaimedDelivery,
  claimWebhookDeliveries,
  type Db,
  deadLetterExpiredWebhookDeliveries,
  deadLetterWebhookDelivery,
  findWebhooksByIds,
  newId,
  recordWebhookAttempt,
  releaseWebhookDeliveries,
} from '@lifeline/db';
import type { Webhook as WebhookRow } from '@lifeline/db/schema';
import type { Logger } from '../logger.ts';
import type { SecretBox } from '../secret-box.ts';
import {
  type AttemptOutcome,
  type DeliveryDecision,
  decideDelivery,
  describeFetchError,
  truncateError,
} from './policy.ts';
import { secretContext, signedHeaders, Webhook, webhookMessageId } from './signing.ts';

export interface DispatchDeps {
  db: Db;
  secretBox: SecretBox;
  logger?: Logger;
  /** For tests; the runtime's fetch by default. */
  fetch?: typeof fetch;
}

export interface DispatchOptions {
  /** Per request, headers and body (default 10 s). */
  timeoutMs?: number;
  /** Endpoints in flight at once (default 8). */
  concurrency?: number;
  /** Rows leased per endpoint at a time (default 10). */
  perEndpoint?: number;
  /** How long a lease holds a row (default 60 s). */
  leaseMs?: number;
  /** Stop leasing new rows after this much wall time (default 10 s); what is in flight finishes. */
  budgetMs?: number;
  /** Stop after this many attempts in one run (default 1,000). */
  maxAttempts?: number;
  /** Jitter source, for tests. */
  random?: () => number;
}

export interface DispatchReport {
  delivered: number;
  /** Attempts that failed and will be retried. */
  failed: number;
  /** Deliveries dead-lettered (deadline passed, or their webhook disabled). */
  dead: number;
}

export const EXPIRED_ERROR = 'Not delivered before the deadline.';
export const DISABLED_ERROR = 'The webhook was disabled before this was delivered.';
export const GONE_ERROR = 'The webhook no longer exists.';
const UNREADABLE_SECRET_ERROR =
  'The signing secret cannot be decrypted (SECRETS_KEY or secrets.key changed?): rotate the secret.';

/** Room left in a lease after the last request may start, for the write that records it. */
const LEASE_MARGIN_MS = 5_000;

interface Endpoint {
  webhook: WebhookRow;
  signer: Webhook | null;
}

export async function dispatchWebhooks(
  deps: DispatchDeps,
  now: number,
  opts: DispatchOptions = {},
): Promise<DispatchReport> {
  const { db, secretBox } = deps;
  const send = deps.fetch ?? fetch;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const concurrency = opts.concurrency ?? 8;
  const perEndpoint = opts.perEndpoint ?? 10;
  // A lease must outlast a request and the write that records it.
  const leaseMs = Math.max(opts.leaseMs ?? 60_000, timeoutMs + LEASE_MARGIN_MS + 1_000);
  const budgetMs = opts.budgetMs ?? 10_000;
  const maxAttempts = opts.maxAttempts ?? 1_000;
  const owner = newId('dsp');
  const started = performance.now();
  /** Server time: `now` plus the wall time this run has taken. */
  const at = () => now + Math.round(performance.now() - started);

  const report: DispatchReport = { delivered: 0, failed: 0, dead: 0 };
  report.dead += await deadLetterExpiredWebhookDeliveries(db, now, EXPIRED_ERROR);

  let attempts = 0;
  const withinBudget = () => performance.now() - started < budgetMs && attempts < maxAttempts;
  const endpoints = new Map<string, Endpoint | null>();
  const failing = new Set<string>();
  const running = new Map<string, Promise<void>>();

  async function loadEndpoints(ids: string[]): Promise<void> {
    const missing = ids.filter((id) => !endpoints.has(id));
    for (const id of missing) endpoints.set(id, null);
    for (const webhook of await findWebhooksByIds(db, missing)) {
      let signer: Webhook | null = null;
      try {
        signer = new Webhook(await secretBox.open(webhook.secretCiphertext, secretContext(webhook.id)));
      } catch (err) {
        deps.logger?.error('webhook secret unreadable', {
          webhookId: webhook.id,
          error: err instanceof Error ? err.message : String(err),
        });
      }
      endpoints.set(webhook.id, { webhook, signer });
    }
  }

  async function attempt(endpoint: Endpoint, row: ClaimedDelivery): Promise<AttemptOutcome> {
    if (!endpoint.signer) return { error: UNREADABLE_SECRET_ERROR };
    const headers = signedHeaders(endpoint.signer, {
      msgId: await webhookMessageId(row.dedupKey),
      at: at(),
      body: row.payload,
    });
    try {
      const signal = AbortSignal.timeout(timeoutMs);
      const res = await send(endpoint.webhook.url, {
        method: 'POST',
        headers,
        body: row.payload,
        redirect: 'manual',
        signal,
      });
      if (res.status >= 200 && res.status < 300) {
        await res.body?.cancel().catch(() => {});
        return { statusCode: res.status };
      }
      return { statusCode: res.status, body: await readStart(res) };
    } catch (err) {
      return { error: truncateError(describeFetchError(err, timeoutMs)) };
    }
  }

  async function record(row: ClaimedDelivery, decision: DeliveryDecision): Promise<void> {
    const kept =
      decision.kind === 'delivered'
        ? await recordWebhookAttempt(db, {
            id: row.id,
            owner,
            result: { status: 'delivered', at: at(), statusCode: decision.statusCode },
          })
        : await recordWebhookAttempt(db, {
            id: row.id,
            owner,
            result: {
              status: decision.kind === 'retry' ? 'pending' : 'dead',
              statusCode: decision.statusCode,
              error: decision.error,
              ...(decision.kind === 'retry' ? { nextAttemptAt: decision.nextAttemptAt } : {}),
            },
          });
    const fields = { webhookId: row.webhookId, deliveryId: row.id, eventType: row.eventType };
    if (!kept) {
      deps.logger?.warn('webhook lease lost before the attempt was recorded', fields);
      return;
    }
    if (decision.kind === 'delivered') report.delivered++;
    else if (decision.kind === 'retry') {
      report.failed++;
      deps.logger?.warn('webhook delivery failed; will retry', {
        ...fields,
        attempts: row.attempts + 1,
        statusCode: decision.statusCode,
        error: decision.error,
        nextAttemptAt: new Date(decision.nextAttemptAt).toISOString(),
      });
    } else {
      report.dead++;
      deps.logger?.warn('webhook delivery dead-lettered', {
        ...fields,
        attempts: row.attempts + 1,
        statusCode: decision.statusCode,
        error: decision.error,
      });
    }
  }

  /** One endpoint's leased rows, in order, one at a time; stops at the first failure. */
  async function runLane(webhookId: string, rows: ClaimedDelivery[], leasedAt: number): Promise<void> {
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      const leaseLeft = leaseMs - (performance.now() - leasedAt);
      if (failing.has(webhookId) || !withinBudget() || leaseLeft < timeoutMs + LEASE_MARGIN_MS) {
        await releaseWebhookDeliveries(
          db,
          owner,
          rows.slice(i).map((r) => r.id),
        );
        return;
      }
      const endpoint = endpoints.get(webhookId);
      // The outbox row names its workspace; a webhook of another workspace is never sent its events.
      const gone = !endpoint || endpoint.webhook.workspaceId !== row.workspaceId;
      if (gone || endpoint.webhook.disabledAt !== null) {
        const error = gone ? GONE_ERROR : DISABLED_ERROR;
        if (await deadLetterWebhookDelivery(db, { id: row.id, owner, error })) report.dead++;
        continue;
      }
      attempts++;
      const outcome = await attempt(endpoint, row);
      const decision = decideDelivery({
        outcome,
        attempts: row.attempts,
        now: at(),
        deadlineAt: row.deadlineAt,
        random: opts.random,
      });
      await record(row, decision);
      if (decision.kind !== 'delivered') failing.add(webhookId);
    }
  }

  try {
    for (;;) {
      const free = concurrency - running.size;
      if (free > 0 && withinBudget()) {
        const rows = await claimWebhookDeliveries(db, {
          owner,
          now: at(),
          leaseMs,
          lanes: free,
          perLane: perEndpoint,
          excludeWebhookIds: [...running.keys(), ...failing],
        });
        const leasedAt = performance.now();
        const lanes = new Map<string, ClaimedDelivery[]>();
        for (const row of rows) {
          const lane = lanes.get(row.webhookId) ?? [];
          lane.push(row);
          lanes.set(row.webhookId, lane);
        }
        await loadEndpoints([...lanes.keys()]);
        for (const [webhookId, lane] of lanes) {
          // In the order the changes happened (retries can still reorder them; payloads carry timestamps).
          lane.sort((a, b) => a.createdAt - b.createdAt || a.seq - b.seq);
          const run = runLane(webhookId, lane, leasedAt)
            .catch((err: unknown) => {
              // Its rows stay leased until the lease lapses, then another run retries them.
              deps.logger?.error('webhook dispatch failed', {
                webhookId,
                error: err instanceof Error ? err.message : String(err),
              });
            })
            .finally(() => running.delete(webhookId));
          running.set(webhookId, run);
        }
      }
      if (running.size === 0) break;
      await Promise.race(running.values());
    }
  } finally {
    await Promise.allSettled(running.values());
  }
  return report;
}

/** The first few hundred characters of a response body, for the delivery's last error. */
async function readStart(res: Response, maxBytes = 1_024): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  try {
    while (total < maxBytes) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      total += value.length;
    }
  } catch {
    // a body that fails or times out midway: keep what arrived
  } finally {
    reader.cancel().catch(() => {});
  }
  const bytes = new Uint8Array(Math.min(total, maxBytes));
  let offset = 0;
  for (const c of chunks) {
    const part = c.subarray(0, bytes.length - offset);
    bytes.set(part, offset);
    offset += part.length;
    if (offset >= bytes.length) break;
  }
  return new TextDecoder().decode(bytes).slice(0, 200);
}
