/**
 * The agent's decisions, as pure functions of what it knows: whether the server's answer to `submitted`
 * allows handing a message to the engine, what an engine event means as a receipt, and what to report
 * about a message whose fate a crash or an engine error left in doubt. The rule behind all of them: a
 * message is handed to the engine at most once, and a failure is reported as retryable only when the
 * engine provably never had the message.
 */
import type { ReceiptResult } from '@lifeline/monitor/contract';
import type { DriverEvent, LookupResult, SendError } from './drivers/driver.ts';
import type { MessageStatus } from './journal.ts';

export type ReceiptStatus = 'submitted' | 'sent' | 'delivered' | 'failed' | 'undelivered' | 'unknown';

/** The server's code for "the engine never got it": retryable, the server requeues the message. */
export const ENGINE_UNREACHABLE = 'ENGINE_UNREACHABLE';

/**
 * What to do with a leased message once the server answered its `submitted` receipt:
 * - `applied`: the server moved it to `submitted` for this device: hand it to the engine;
 * - `duplicate` while the message is `submitted`: an earlier post (whose answer a crash or a dropped
 *   connection lost) was applied, so the same holds;
 * - anything else (`stale`, `rejected`, `duplicate` of a receipt that was itself stale): the lease is gone
 *   or the message moved on: drop it without sending.
 */
export function submitDecision(result: Pick<ReceiptResult, 'outcome' | 'state'>): 'hand' | 'drop' {
  if (result.outcome === 'applied') return 'hand';
  if (result.outcome === 'duplicate' && result.state === 'submitted') return 'hand';
  return 'drop';
}

export interface ReportedReceipt {
  status: ReceiptStatus;
  at: number;
  errorCode?: string;
  errorMessage?: string;
  parts?: number;
}

/** The receipt an engine event stands for (`received` SMS are not receipts). */
export function receiptOfEvent(event: DriverEvent): ReportedReceipt | null {
  switch (event.type) {
    case 'sent':
      return event.parts === undefined
        ? { status: 'sent', at: event.at }
        : { status: 'sent', at: event.at, parts: event.parts };
    case 'delivered':
      return { status: 'delivered', at: event.at };
    case 'failed': {
      const r: ReportedReceipt = { status: event.stage === 'send' ? 'failed' : 'undelivered', at: event.at };
      if (event.errorCode) r.errorCode = event.errorCode;
      if (event.errorMessage) r.errorMessage = event.errorMessage;
      return r;
    }
    default:
      return null;
  }
}

/** Local status after a receipt: only ever forward. */
const RANK: Record<MessageStatus, number> = {
  leased: 0,
  submit_confirmed: 1,
  handed: 2,
  sent: 3,
  unknown: 4,
  delivered: 5,
  undelivered: 5,
  failed: 5,
  dropped: 5,
};

export function statusOfReceipt(status: ReceiptStatus): MessageStatus {
  return status === 'submitted' ? 'submit_confirmed' : status;
}

/** Whether a receipt moves the local status forward (same rule as the server: late events never move back). */
export function movesForward(current: MessageStatus, receipt: ReceiptStatus): boolean {
  const next = statusOfReceipt(receipt);
  if (current === 'unknown') return next === 'delivered' || next === 'undelivered';
  return RANK[next] > RANK[current];
}

/** Whether the agent still expects something from the engine about a message in this local status. */
export function awaitingEngine(status: MessageStatus, deliveryReports: boolean): boolean {
  if (status === 'handed') return true;
  if (status === 'sent') return deliveryReports;
  return false;
}

/**
 * What the engine's answer to `lookup` says must be reported for a message in doubt (the engine may or
 * may not have accepted it):
 * - the engine holds it: it is handed, and its known progress becomes receipts;
 * - the engine never saw it: it never left the phone, so a retryable `failed` lets the server requeue it;
 * - the engine cannot tell: `unknown` — never a guess, never a second send.
 */
export type DoubtOutcome =
  | { kind: 'handed'; receipts: ReportedReceipt[] }
  | { kind: 'never_reached'; receipt: ReportedReceipt }
  | { kind: 'unknown'; receipt: ReportedReceipt };

export function resolveDoubt(lookup: LookupResult, now: number): DoubtOutcome {
  if (lookup.known === true) {
    const at = lookup.at ?? now;
    const receipts: ReportedReceipt[] = [];
    if (lookup.state === 'sent' || lookup.state === 'delivered') receipts.push({ status: 'sent', at });
    if (lookup.state === 'delivered') receipts.push({ status: 'delivered', at });
    if (lookup.state === 'failed') {
      const r: ReportedReceipt = { status: 'failed', at };
      if (lookup.errorCode) r.errorCode = lookup.errorCode;
      receipts.push(r);
    }
    return { kind: 'handed', receipts };
  }
  if (lookup.known === false) {
    return {
      kind: 'never_reached',
      receipt: {
        status: 'failed',
        at: now,
        errorCode: ENGINE_UNREACHABLE,
        errorMessage: 'The SMS engine never received this message (checked after a crash or error).',
      },
    };
  }
  return {
    kind: 'unknown',
    receipt: {
      status: 'unknown',
      at: now,
      errorCode: 'ENGINE_CANNOT_TELL',
      errorMessage: `The SMS engine cannot tell whether it got this message: ${lookup.reason}`.slice(0, 500),
    },
  };
}

/** A send that threw: `false` proves the engine never got it; `'maybe'` needs a lookup first. */
export function sendFailure(err: SendError, now: number): ReportedReceipt | 'lookup' {
  if (err.reachedEngine === 'maybe') return 'lookup';
  return { status: 'failed', at: now, errorCode: err.code, errorMessage: err.message.slice(0, 500) };
}
