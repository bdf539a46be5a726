import {
  type Db,
  effectQueries,
  findDevicesByIds,
  findMessagesForReceipts,
  transitionQueries,
} from '@lifeline/db';
import type { Message } from '@lifeline/db/schema';
import type { Receipt, ReceiptResult } from '../contract/receipts.ts';
import {
  DEFAULT_DEADLINES,
  deadlineAfter,
  decideReceipt,
  isTerminal,
  stateOfReceipt,
  stateRank,
} from '../domain/message-state.ts';
import { isRetryableFailure, MAX_RETRIES, retryDelayMs } from '../domain/retry.ts';
import { deliveryCountQueries } from '../pipeline/delivery-counts.ts';
import { requeue } from '../pipeline/sweeps.ts';
import { webhookPayloadOf } from '../pipeline/view.ts';

/**
 * Applies a device's receipts idempotently. Each receipt becomes an event (a repeat is one row); it moves
 * the message only forward, only for the attempt it names, and only when the message is this device's.
 * Every move is a compare-and-set on the state read here, so a concurrent change (the lease lapsed and the
 * message was rerouted) makes the receipt stale, never moves the message backwards — and tells the agent
 * not to send. A failure that provably never left the phone goes back to the queue with backoff,
 * preferring another device; except an SMS canary's, which is what its probe reports.
 */
export async function applyReceipts(
  db: Db,
  input: { workspaceId: string; deviceId: string; receipts: Receipt[]; now: number },
): Promise<ReceiptResult[]> {
  const { workspaceId, deviceId, now } = input;
  const ids = [...new Set(input.receipts.map((r) => r.messageId))];
  const current = new Map<string, Message>();
  for (const m of await findMessagesForReceipts(db, workspaceId, ids)) current.set(m.id, m);
  // Outcomes are counted at the time they happened on the phone, on the server's clock: a phone that
  // reports after an outage puts its deliveries in the buckets where they belong.
  const [device] = await findDevicesByIds(db, [deviceId]);
  const skew = device?.clockSkewMs ?? 0;

  const results: ReceiptResult[] = [];
  const queries = [];
  const plan: { index: number; eventQuery: number; updateQuery: number | null }[] = [];
  for (const receipt of input.receipts) {
    const m = current.get(receipt.messageId);
    const decision = decideReceipt(m, { status: receipt.status, attempt: receipt.attempt, deviceId });
    const base = { messageId: receipt.messageId, attempt: receipt.attempt, status: receipt.status };
    if (decision.kind === 'reject' || !m) {
      results.push({
        ...base,
        outcome: 'rejected',
        error: { code: 'message_not_found', message: 'This device holds no such message.' },
      });
      continue;
    }
    const event = {
      source: 'device' as const,
      deviceId,
      deviceAt: receipt.at,
      errorCode: receipt.errorCode ?? null,
      detail:
        receipt.errorMessage || receipt.parts
          ? { errorMessage: receipt.errorMessage, parts: receipt.parts }
          : null,
    };
    const state = stateOfReceipt(receipt.status);
    if (decision.kind === 'stale') {
      plan.push({ index: results.length, eventQuery: queries.length, updateQuery: null });
      queries.push(
        ...effectQueries(db, {
          messageId: m.id,
          workspaceId,
          from: { status: m.status, attempt: m.attempt },
          to: { status: state, attempt: receipt.attempt },
          now,
          event,
        }),
      );
      results.push({ ...base, outcome: 'stale' });
      continue;
    }

    let next: Message;
    let stepQueries: readonly unknown[];
    const retry =
      decision.next === 'failed' &&
      m.purpose !== 'canary' &&
      (m.status === 'leased' || m.status === 'submitted') &&
      isRetryableFailure(receipt.errorCode) &&
      m.retries < MAX_RETRIES &&
      m.expiresAt > now;
    if (retry) {
      const extra = {
        retries: m.retries + 1,
        nextAttemptAt: now + retryDelayMs(m.retries + 1),
        errorCode: receipt.errorCode ?? null,
        errorMessage: receipt.errorMessage ?? null,
      };
      next = {
        ...m,
        ...extra,
        status: 'queued',
        deviceId: null,
        simSlot: null,
        leasedAt: null,
        avoidDeviceId: deviceId,
      };
      const requeued = { status: 'queued' as const, attempt: m.attempt };
      // The failure is recorded as what the device said; the requeue as the server's decision.
      stepQueries = [
        ...requeue(db, m, now, 'retryable_failure', extra),
        ...effectQueries(db, {
          messageId: m.id,
          workspaceId,
          from: requeued,
          to: requeued,
          now,
          event: { ...event, status: 'failed' },
        }),
      ];
    } else {
      const set = {
        stateRank: stateRank(decision.next),
        deadlineAt: deadlineAfter(decision.next, now, DEFAULT_DEADLINES, m.deliveryReports ?? true),
        ...(decision.next === 'submitted' ? { submittedAt: now } : {}),
        ...(decision.next === 'sent' ? { sentAt: now } : {}),
        ...(isTerminal(decision.next) ? { completedAt: now } : {}),
        ...(receipt.errorCode || receipt.errorMessage
          ? { errorCode: receipt.errorCode ?? null, errorMessage: receipt.errorMessage ?? null }
          : {}),
      };
      next = { ...m, ...set, status: decision.next, updatedAt: now };
      const happenedAt = Math.min(now, Math.max(m.createdAt, receipt.at - skew));
      stepQueries = [
        ...transitionQueries(db, {
          messageId: m.id,
          workspaceId,
          from: { status: m.status, attempt: m.attempt },
          to: { status: decision.next, attempt: m.attempt },
          set,
          now,
          event,
          webhookPayload: webhookPayloadOf(next),
        }),
        ...deliveryCountQueries(db, m, {
          from: m.status,
          to: decision.next,
          attempt: m.attempt,
          at: happenedAt,
        }),
      ];
    }
    // transitionQueries returns [update, event, webhook fan-out?]; the requeue path appends the failure event.
    plan.push({
      index: results.length,
      updateQuery: queries.length,
      eventQuery: queries.length + (retry ? stepQueries.length - 1 : 1),
    });
    queries.push(...(stepQueries as typeof queries));
    current.set(m.id, next);
    results.push({ ...base, outcome: 'applied' });
  }

  if (queries.length > 0) {
    const [first, ...rest] = queries;
    const out = (await db.batch([first!, ...rest])) as unknown[];
    for (const p of plan) {
      const result = results[p.index]!;
      const inserted = (out[p.eventQuery] as unknown[]).length > 0;
      const updated = p.updateQuery === null ? false : (out[p.updateQuery] as unknown[]).length > 0;
      if (!inserted && !updated) result.outcome = 'duplicate';
      else if (p.updateQuery !== null && !updated) result.outcome = 'stale';
    }
  }
  const after = new Map((await findMessagesForReceipts(db, workspaceId, ids)).map((m) => [m.id, m.status]));
  for (const r of results) if (r.outcome !== 'rejected') r.state = after.get(r.messageId);
  return results;
}
