/**
 * How one delivery attempt settles the outbox rows it carried, for every audience: delivered; retried
 * with backoff while the rows' deadline allows and the failure is worth retrying; otherwise dead-lettered.
 * A destination gone for good (a push subscription answered 404/410) is dead at once; the caller removes it.
 */
import { type Db, settleNotificationsQuery } from '@lifeline/db';
import type { Notification } from '@lifeline/db/schema';
import type { DeliveryResult } from '../channels/result.ts';
import { notificationRetryDelayMs } from '../domain/retry.ts';

export type Settlement = 'delivered' | 'retried' | 'dead';

export function settleAttemptQuery(
  db: Db,
  owner: string,
  rows: Pick<Notification, 'id' | 'attempts' | 'deadlineAt'>[],
  result: DeliveryResult,
  messageId: string,
  now: number,
  random?: () => number,
): { query: ReturnType<typeof settleNotificationsQuery>; settlement: Settlement } {
  const ids = rows.map((r) => r.id);
  const statusCode = result.status ?? null;
  if (result.ok) {
    return {
      query: settleNotificationsQuery(db, owner, ids, {
        status: 'delivered',
        at: now,
        messageId,
        statusCode,
      }),
      settlement: 'delivered',
    };
  }
  const error = result.error.slice(0, 500);
  const attempts = Math.max(...rows.map((r) => r.attempts)) + 1;
  const nextAttemptAt = now + notificationRetryDelayMs(attempts, random);
  const deadline = Math.min(...rows.map((r) => r.deadlineAt));
  if (!result.gone && result.retryable && nextAttemptAt < deadline) {
    return {
      query: settleNotificationsQuery(db, owner, ids, {
        status: 'pending',
        nextAttemptAt,
        messageId,
        statusCode,
        error,
      }),
      settlement: 'retried',
    };
  }
  return {
    query: settleNotificationsQuery(db, owner, ids, { status: 'dead', messageId, statusCode, error }),
    settlement: 'dead',
  };
}

/**
 * A claimed row settled without an attempt: `dropped` when it became moot (the reason given), `dead` when
 * its deadline passed while it waited; null when it should still be sent.
 */
export function settleUnsentQuery(
  db: Db,
  owner: string,
  n: Pick<Notification, 'id' | 'deadlineAt' | 'lastStatusCode' | 'lastError'>,
  moot: string | null,
  now: number,
): { query: ReturnType<typeof settleNotificationsQuery>; settlement: 'dropped' | 'dead' } | null {
  if (moot)
    return {
      query: settleNotificationsQuery(db, owner, [n.id], {
        status: 'dropped',
        messageId: null,
        statusCode: null,
        error: moot,
      }),
      settlement: 'dropped',
    };
  if (n.deadlineAt <= now)
    return {
      query: settleNotificationsQuery(db, owner, [n.id], {
        status: 'dead',
        messageId: null,
        statusCode: n.lastStatusCode,
        error: n.lastError ?? 'deadline passed',
      }),
      settlement: 'dead',
    };
  return null;
}
