import {
  type Db,
  leasedMessagesOf,
  leasedMessagesOfInactiveDevices,
  messagesPastDeadline,
  pruneSimUsageQuery,
  queuedMessagesPastTtl,
  transitionQueries,
} from '@lifeline/db';
import type { Message, MessageState } from '@lifeline/db/schema';
import { stateRank } from '../domain/message-state.ts';
import { deliveryCountQueries } from './delivery-counts.ts';
import { webhookPayloadOf } from './view.ts';

const BATCH = 200;

export interface SweepReport {
  requeued: number;
  /** Workspaces with messages back in the queue, whose long-polling devices should look again. */
  requeuedWorkspaces: string[];
  expired: number;
  unknown: number;
}

/**
 * Gives every non-terminal state its deadline (run on the tick):
 * - a lease that lapsed without `submitted`, or whose device went offline or was paused, goes back to the queue (the
 *   device to avoid next time is recorded) — or expires if its TTL has passed;
 * - a queued message past its TTL expires;
 * - a submitted or sent message with no outcome by its deadline ends `delivery_unknown`: it is never
 *   handed to another device, because a duplicate SMS is worse than an honest unknown.
 */
export async function sweepMessages(
  db: Db,
  input: { now: number; offlineDeviceIds: string[] },
): Promise<SweepReport> {
  const { now } = input;
  const report: SweepReport = { requeued: 0, requeuedWorkspaces: [], expired: 0, unknown: 0 };
  const lapsed = await messagesPastDeadline(db, 'leased', now, BATCH);
  const orphaned = [
    ...(await leasedMessagesOf(db, input.offlineDeviceIds, BATCH)),
    ...(await leasedMessagesOfInactiveDevices(db, BATCH)),
  ];
  const seen = new Set<string>();
  const queries = [];
  for (const m of [...lapsed, ...orphaned]) {
    if (seen.has(m.id)) continue;
    seen.add(m.id);
    const reason = lapsed.includes(m) ? 'lease_expired' : 'device_offline';
    if (m.expiresAt <= now) {
      queries.push(...finish(db, m, 'expired', now, 'ttl_expired'));
      report.expired++;
    } else {
      queries.push(...requeue(db, m, now, reason));
      report.requeued++;
      if (!report.requeuedWorkspaces.includes(m.workspaceId)) report.requeuedWorkspaces.push(m.workspaceId);
    }
  }
  for (const m of await queuedMessagesPastTtl(db, now, BATCH)) {
    queries.push(...finish(db, m, 'expired', now, 'ttl_expired'));
    report.expired++;
  }
  for (const state of ['submitted', 'sent'] as const) {
    for (const m of await messagesPastDeadline(db, state, now, BATCH)) {
      const code = state === 'submitted' ? 'send_timeout' : 'delivery_report_timeout';
      queries.push(...finish(db, m, 'delivery_unknown', now, code));
      report.unknown++;
    }
  }
  queries.push(pruneSimUsageQuery(db, Math.floor(now / 60_000) - 2 * 1440));
  const [first, ...rest] = queries;
  await db.batch([first!, ...rest]);
  return report;
}

/** Back to the queue for another device; nothing reached Android, so this is safe. */
export function requeue(db: Db, m: Message, now: number, reason: string, extra: Partial<Message> = {}) {
  const set = {
    deviceId: null,
    simSlot: null,
    leasedAt: null,
    avoidDeviceId: m.deviceId,
    deadlineAt: m.expiresAt,
    nextAttemptAt: now,
    stateRank: 0,
    ...extra,
  };
  return transitionQueries(db, {
    messageId: m.id,
    workspaceId: m.workspaceId,
    from: { status: m.status, attempt: m.attempt },
    to: { status: 'queued', attempt: m.attempt },
    set,
    now,
    event: { source: 'server', deviceId: m.deviceId, detail: { reason } },
    webhookPayload: webhookPayloadOf({ ...m, ...set, status: 'queued', updatedAt: now }),
  });
}

/**
 * A terminal state decided by the server (or asked for through the API: a cancel), counted in the delivery
 * rollups where it is an outcome (`cancelled` is not).
 */
export function finish(
  db: Db,
  m: Message,
  state: MessageState,
  now: number,
  errorCode: string,
  source: 'server' | 'api' = 'server',
) {
  const set = {
    deadlineAt: null,
    completedAt: now,
    stateRank: stateRank(state),
    errorCode,
    errorMessage: null,
  };
  return [
    ...transitionQueries(db, {
      messageId: m.id,
      workspaceId: m.workspaceId,
      from: { status: m.status, attempt: m.attempt },
      to: { status: state, attempt: m.attempt },
      set,
      now,
      event: { source, deviceId: m.deviceId, errorCode },
      webhookPayload: webhookPayloadOf({ ...m, ...set, status: state, updatedAt: now }),
    }),
    ...deliveryCountQueries(db, m, { from: m.status, to: state, attempt: m.attempt, at: now }),
  ];
}
