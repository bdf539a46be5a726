import { describe, expect, it } from 'vitest';
import { DEFAULT_DEADLINES, deadlineAfter, decideReceipt, isTerminal, stateRank } from './message-state.ts';

const held = (status: Parameters<typeof stateRank>[0], attempt = 1) => ({
  status,
  attempt,
  deviceId: 'dev_a',
});
const receipt = (status: Parameters<typeof decideReceipt>[1]['status'], attempt = 1, deviceId = 'dev_a') => ({
  status,
  attempt,
  deviceId,
});

describe('decideReceipt', () => {
  it.each([
    ['leased -> submitted', held('leased'), receipt('submitted'), { kind: 'apply', next: 'submitted' }],
    ['submitted -> sent', held('submitted'), receipt('sent'), { kind: 'apply', next: 'sent' }],
    ['sent -> delivered', held('sent'), receipt('delivered'), { kind: 'apply', next: 'delivered' }],
    [
      'leased -> delivered (skipped steps arrive later)',
      held('leased'),
      receipt('delivered'),
      { kind: 'apply', next: 'delivered' },
    ],
    ['sent -> undelivered', held('sent'), receipt('undelivered'), { kind: 'apply', next: 'undelivered' }],
    ['leased -> failed', held('leased'), receipt('failed'), { kind: 'apply', next: 'failed' }],
    [
      'unknown is an honest delivery_unknown',
      held('leased'),
      receipt('unknown'),
      { kind: 'apply', next: 'delivery_unknown' },
    ],
    [
      'late delivery report settles delivery_unknown',
      held('delivery_unknown'),
      receipt('delivered'),
      { kind: 'apply', next: 'delivered' },
    ],
    ['sent after delivered is stale', held('delivered'), receipt('sent'), { kind: 'stale' }],
    ['repeat of the same state is stale', held('sent'), receipt('sent'), { kind: 'stale' }],
    ['failed after delivered is stale', held('delivered'), receipt('failed'), { kind: 'stale' }],
    [
      'submitted after delivery_unknown is stale',
      held('delivery_unknown'),
      receipt('sent'),
      { kind: 'stale' },
    ],
    [
      'a receipt for an older attempt is stale',
      held('leased', 2),
      receipt('submitted', 1),
      { kind: 'stale' },
    ],
    [
      'another device cannot report',
      held('leased'),
      receipt('sent', 1, 'dev_b'),
      { kind: 'reject', code: 'message_not_found' },
    ],
    ['unknown message', undefined, receipt('sent'), { kind: 'reject', code: 'message_not_found' }],
  ] as const)('%s', (_name, message, r, expected) => {
    expect(decideReceipt(message, r)).toEqual(expected);
  });

  it('never moves a message to a lower rank, for every pair of states', () => {
    const states = [
      'queued',
      'leased',
      'submitted',
      'sent',
      'delivered',
      'failed',
      'undelivered',
      'delivery_unknown',
    ] as const;
    const receipts = ['submitted', 'sent', 'delivered', 'failed', 'undelivered', 'unknown'] as const;
    for (const s of states) {
      for (const r of receipts) {
        const d = decideReceipt(held(s), receipt(r));
        if (d.kind === 'apply') expect(stateRank(d.next)).toBeGreaterThan(stateRank(s));
      }
    }
  });
});

describe('deadlines', () => {
  it('gives every non-terminal state a device reports a deadline, and terminal states none', () => {
    expect(deadlineAfter('submitted', 0, DEFAULT_DEADLINES)).toBe(DEFAULT_DEADLINES.sendTimeoutMs);
    expect(deadlineAfter('sent', 0, DEFAULT_DEADLINES)).toBe(DEFAULT_DEADLINES.deliveryReportTimeoutMs);
    for (const s of [
      'delivered',
      'failed',
      'undelivered',
      'expired',
      'cancelled',
      'delivery_unknown',
    ] as const) {
      expect(isTerminal(s)).toBe(true);
      expect(deadlineAfter(s, 0, DEFAULT_DEADLINES)).toBeNull();
    }
  });
});
