import type { MessageState } from '@lifeline/db/schema';

/**
 * Position of each state in the message lifecycle. A receipt may only move a message to a higher rank,
 * so late and out-of-order receipts never move it backwards. `delivery_unknown` sits below the final
 * outcomes: a delivery report that arrives after the deadline still settles the message.
 */
const RANK: Record<MessageState, number> = {
  queued: 0,
  leased: 1,
  submitted: 2,
  sent: 3,
  delivery_unknown: 4,
  delivered: 5,
  undelivered: 5,
  failed: 5,
  expired: 5,
  cancelled: 5,
};

export function stateRank(state: MessageState): number {
  return RANK[state];
}

export const TERMINAL_STATES: readonly MessageState[] = [
  'delivered',
  'undelivered',
  'failed',
  'expired',
  'cancelled',
  'delivery_unknown',
];

export function isTerminal(state: MessageState): boolean {
  return TERMINAL_STATES.includes(state);
}

/** What a device may report about a message it holds. */
export const receiptStatuses = [
  'submitted',
  'sent',
  'delivered',
  'failed',
  'undelivered',
  'unknown',
] as const;
export type ReceiptStatus = (typeof receiptStatuses)[number];

/** The message state a receipt stands for; `unknown` (the agent cannot tell what happened) is honest `delivery_unknown`. */
export function stateOfReceipt(status: ReceiptStatus): MessageState {
  return status === 'unknown' ? 'delivery_unknown' : status;
}

export interface MessageCursor {
  status: MessageState;
  attempt: number;
  deviceId: string | null;
}

export interface ReceiptInput {
  status: ReceiptStatus;
  attempt: number;
  deviceId: string;
}

export type ReceiptDecision =
  | { kind: 'apply'; next: MessageState }
  /** Recorded as an event, but the message stays where it is (late, out of order, or an old attempt). */
  | { kind: 'stale' }
  /** The device does not hold this message: nothing is recorded. */
  | { kind: 'reject'; code: 'message_not_found' };

/** Decides what a device's receipt does to a message. Pure: the caller applies it with a compare-and-set. */
export function decideReceipt(message: MessageCursor | undefined, receipt: ReceiptInput): ReceiptDecision {
  if (!message || message.deviceId !== receipt.deviceId) return { kind: 'reject', code: 'message_not_found' };
  if (receipt.attempt !== message.attempt) return { kind: 'stale' };
  const next = stateOfReceipt(receipt.status);
  if (stateRank(next) <= stateRank(message.status)) return { kind: 'stale' };
  if (message.status === 'delivery_unknown' && next !== 'delivered' && next !== 'undelivered')
    return { kind: 'stale' };
  return { kind: 'apply', next };
}

export interface MessageDeadlines {
  /** How long a device may take from `submitted` to `sent`. */
  sendTimeoutMs: number;
  /** How long to wait for a delivery report after `sent`. */
  deliveryReportTimeoutMs: number;
}

export const DEFAULT_DEADLINES: MessageDeadlines = {
  sendTimeoutMs: 10 * 60_000,
  deliveryReportTimeoutMs: 60 * 60_000,
};

/**
 * The deadline of a state entered at `at`; terminal states have none. Without delivery reports (a driver
 * that cannot tell), `sent` is as far as a message gets, so it has no deadline either.
 */
export function deadlineAfter(
  state: MessageState,
  at: number,
  deadlines: MessageDeadlines,
  deliveryReports = true,
): number | null {
  if (state === 'submitted') return at + deadlines.sendTimeoutMs;
  if (state === 'sent') return deliveryReports ? at + deadlines.deliveryReportTimeoutMs : null;
  return null;
}
