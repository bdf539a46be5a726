import { describe, expect, it } from 'vitest';
import { backoffDelayMs, jittered } from './backoff.ts';
import {
  awaitingEngine,
  ENGINE_UNREACHABLE,
  movesForward,
  receiptOfEvent,
  resolveDoubt,
  sendFailure,
  submitDecision,
} from './decisions.ts';
import { type LookupResult, SendError } from './drivers/driver.ts';
import type { MessageStatus } from './journal.ts';

describe('submitDecision: hand to the engine only what the server confirmed', () => {
  it.each([
    [{ outcome: 'applied', state: 'submitted' }, 'hand'],
    // An earlier post was applied and its answer lost (crash or dropped connection).
    [{ outcome: 'duplicate', state: 'submitted' }, 'hand'],
    // The earlier post was itself stale, or the message moved on: never send.
    [{ outcome: 'duplicate', state: 'queued' }, 'drop'],
    [{ outcome: 'duplicate', state: 'sent' }, 'drop'],
    [{ outcome: 'duplicate', state: 'leased' }, 'drop'],
    [{ outcome: 'stale', state: 'leased' }, 'drop'],
    [{ outcome: 'rejected', state: undefined }, 'drop'],
  ] as const)('%j -> %s', (result, expected) => {
    expect(submitDecision(result)).toBe(expected);
  });
});

describe('resolveDoubt: what a lookup after a crash says to report', () => {
  const now = 1_000;
  it.each<[LookupResult, string, string[]]>([
    [{ known: true, state: 'pending' }, 'handed', []],
    [{ known: true, state: 'sent', at: 900 }, 'handed', ['sent']],
    [{ known: true, state: 'delivered', at: 950 }, 'handed', ['sent', 'delivered']],
    [{ known: true, state: 'failed', errorCode: 'RESULT_ERROR_GENERIC_FAILURE' }, 'handed', ['failed']],
    [{ known: false }, 'never_reached', ['failed']],
    [{ known: 'cannot_tell', reason: 'engine down' }, 'unknown', ['unknown']],
  ])('%j -> %s %j', (lookup, kind, statuses) => {
    const out = resolveDoubt(lookup, now);
    expect(out.kind).toBe(kind);
    const receipts = out.kind === 'handed' ? out.receipts : [out.receipt];
    expect(receipts.map((r) => r.status)).toEqual(statuses);
  });

  it('reports retryable ENGINE_UNREACHABLE only when the engine never saw the message', () => {
    const never = resolveDoubt({ known: false }, now);
    expect(never.kind === 'never_reached' && never.receipt.errorCode).toBe(ENGINE_UNREACHABLE);
    const unsure = resolveDoubt({ known: 'cannot_tell', reason: 'x' }, now);
    expect(unsure.kind === 'unknown' && unsure.receipt.errorCode).not.toBe(ENGINE_UNREACHABLE);
    const failed = resolveDoubt({ known: true, state: 'failed', errorCode: 'E' }, now);
    expect(failed.kind === 'handed' && failed.receipts[0]!.errorCode).toBe('E');
  });
});

describe('sendFailure', () => {
  it('reports a send the engine provably never got, with its code', () => {
    expect(sendFailure(new SendError('ENGINE_UNREACHABLE', 'refused', false), 5)).toEqual({
      status: 'failed',
      at: 5,
      errorCode: 'ENGINE_UNREACHABLE',
      errorMessage: 'refused',
    });
  });
  it('asks the engine when the send may have reached it', () => {
    expect(sendFailure(new SendError('TIMEOUT', 'no answer', 'maybe'), 5)).toBe('lookup');
  });
});

describe('receiptOfEvent (dedup happens in the journal by message, attempt and status)', () => {
  it.each([
    [
      { type: 'sent', id: 'a', at: 1, parts: 2 },
      { status: 'sent', at: 1, parts: 2 },
    ],
    [
      { type: 'delivered', id: 'a', at: 2 },
      { status: 'delivered', at: 2 },
    ],
    [
      { type: 'failed', id: 'a', at: 3, stage: 'send', errorCode: 'X' },
      { status: 'failed', at: 3, errorCode: 'X' },
    ],
    [
      { type: 'failed', id: 'a', at: 4, stage: 'delivery' },
      { status: 'undelivered', at: 4 },
    ],
    [{ type: 'received', from: '+1', text: 'hi', at: 5 }, null],
  ] as const)('%j -> %j', (event, receipt) => {
    expect(receiptOfEvent(event)).toEqual(receipt);
  });
});

describe('movesForward: late and repeated events never move a message back', () => {
  it.each<[MessageStatus, Parameters<typeof movesForward>[1], boolean]>([
    ['handed', 'sent', true],
    ['handed', 'delivered', true],
    ['sent', 'sent', false],
    ['delivered', 'sent', false],
    ['sent', 'undelivered', true],
    ['unknown', 'delivered', true],
    ['unknown', 'failed', false],
    ['failed', 'delivered', false],
    ['submit_confirmed', 'unknown', true],
  ])('%s + %s -> %s', (from, receipt, expected) => {
    expect(movesForward(from, receipt)).toBe(expected);
  });

  it('awaits the engine until the last word its capabilities allow', () => {
    expect(awaitingEngine('handed', false)).toBe(true);
    expect(awaitingEngine('sent', true)).toBe(true);
    expect(awaitingEngine('sent', false)).toBe(false);
    expect(awaitingEngine('delivered', true)).toBe(false);
  });
});

describe('backoff', () => {
  const policy = { baseMs: 1_000, maxMs: 60_000 };
  it.each([
    [0, 0, 0],
    [1, 500, 1_000],
    [2, 1_000, 2_000],
    [3, 2_000, 4_000],
    [7, 30_000, 60_000],
    [50, 30_000, 60_000],
  ])('after %i failures waits between %i and %i ms', (failures, lo, hi) => {
    expect(backoffDelayMs(failures, policy, () => 0)).toBe(lo);
    expect(backoffDelayMs(failures, policy, () => 1)).toBe(hi);
  });
  it('jitters heartbeats by ±10 %', () => {
    expect(jittered(30_000, 0.1, () => 0)).toBe(27_000);
    expect(jittered(30_000, 0.1, () => 1)).toBe(33_000);
    expect(jittered(30_000, 0.1, () => 0.5)).toBe(30_000);
  });
});
