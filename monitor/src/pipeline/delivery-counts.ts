import {
  addDeliveryQuery,
  type Db,
  type DeliveryDelta,
  type DeliveryOutcome,
  messageIsAt,
  scopeKeys,
} from '@lifeline/db';
import type { Message, MessageState } from '@lifeline/db/schema';
import { bucketStartOf, GRANULARITIES } from '../domain/buckets.ts';

/** The Layer 3 outcome a state counts as, or null for states that are not counted. */
export function outcomeOf(state: MessageState, deliveryReports: boolean): DeliveryOutcome | null {
  switch (state) {
    case 'delivered':
      return 'delivered';
    case 'failed':
      return 'failed';
    case 'undelivered':
      return 'undelivered';
    case 'delivery_unknown':
      return 'deliveryUnknown';
    case 'expired':
      return 'expired';
    case 'sent':
      return deliveryReports ? null : 'sentUnconfirmed';
    default:
      return null;
  }
}

/**
 * Counts a message's outcome in the delivery rollups of its workspace, device, SIM and carrier, at every
 * granularity, in the bucket of `at` — guarded on the transition to `to` having won in the same batch.
 * When a late delivery report settles a `delivery_unknown` message, the count moves from unknown to the
 * outcome in the bucket where the message was first counted. SMS canaries are not counted: they are the
 * probes' own test messages, judged on the canary probe's results, not customers' deliveries.
 */
export function deliveryCountQueries(
  db: Db,
  m: Message,
  input: { from: MessageState; to: MessageState; attempt: number; at: number },
) {
  if (m.purpose === 'canary') return [];
  const reports = m.deliveryReports ?? true;
  const outcome = outcomeOf(input.to, reports);
  if (!outcome) return [];
  const delta: DeliveryDelta = { [outcome]: 1 };
  let at = input.at;
  const previous = outcomeOf(input.from, reports);
  if (previous) {
    delta[previous] = (delta[previous] ?? 0) - 1;
    at = m.completedAt ?? at;
  }
  const scopes = [scopeKeys.workspace(m.workspaceId)];
  if (m.deviceId) scopes.push(scopeKeys.device(m.deviceId), scopeKeys.sim(m.deviceId, m.simSlot));
  if (m.carrier) scopes.push(scopeKeys.carrier(m.workspaceId, m.carrier));
  const guard = messageIsAt(m.id, { status: input.to, attempt: input.attempt });
  return GRANULARITIES.map((granularity) =>
    addDeliveryQuery(db, {
      scopeKeys: scopes,
      granularity,
      bucketStart: bucketStartOf(at, granularity),
      delta,
      guard,
    }),
  );
}
