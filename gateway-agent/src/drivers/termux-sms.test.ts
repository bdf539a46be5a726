import { describe, expect, it } from 'vitest';
import {
  findOutgoing,
  isSafeRecipient,
  outgoingState,
  parseSmsList,
  parseTermuxLocalTime,
  type SmsRow,
  sameNumber,
  smsSendArgs,
} from './termux-sms.ts';

const local = (y: number, mo: number, d: number, h: number, mi: number, s: number) =>
  new Date(y, mo - 1, d, h, mi, s).getTime();

describe('termux-sms-send arguments', () => {
  it('passes the number and the 0-based slot, nothing else', () => {
    expect(smsSendArgs('+15550001111', null)).toEqual(['-n', '+15550001111']);
    expect(smsSendArgs('+15550001111', 1)).toEqual(['-n', '+15550001111', '-s', '1']);
  });

  it('accepts only plain numbers as recipients', () => {
    expect(isSafeRecipient('+4915112345678')).toBe(true);
    expect(isSafeRecipient('015112345678')).toBe(true);
    for (const bad of ['+1,+2', '-s', '1 2', '', '+', '12', 'abc', '+1555;rm'])
      expect(isSafeRecipient(bad)).toBe(false);
  });
});

describe('termux-sms-list output', () => {
  it('parses the documented rows, oldest first, with the local time', () => {
    const rows = parseSmsList(
      JSON.stringify([
        {
          threadid: 3,
          type: 'sent',
          read: true,
          sender: 'You',
          address: '+15550001111',
          number: '+15550001111',
          received: '2026-11-24 06:00:01',
          body: 'hi',
          _id: 41,
        },
        { threadid: 3, type: '', read: true, number: '+1555', received: 'bad', body: 'queued', _id: 42 },
        { nonsense: true },
      ]),
    );
    expect(rows).toEqual([
      { id: 41, type: 'sent', address: '+15550001111', body: 'hi', at: local(2026, 11, 24, 6, 0, 1) },
      { id: 42, type: '', address: '+1555', body: 'queued', at: null },
    ]);
    expect(parseSmsList('Termux:API is not installed')).toBeNull();
    expect(parseSmsList('{}')).toBeNull();
  });

  it('parses only well-formed local times', () => {
    expect(parseTermuxLocalTime('2026-01-02 03:04:05')).toBe(local(2026, 1, 2, 3, 4, 5));
    expect(parseTermuxLocalTime('2026-01-02')).toBeNull();
    expect(parseTermuxLocalTime(17)).toBeNull();
  });

  it('maps the store types', () => {
    expect(['sent', 'failed', 'outbox', '', 'inbox', 'draft'].map(outgoingState)).toEqual([
      'sent',
      'failed',
      'pending',
      'pending',
      null,
      null,
    ]);
  });
});

describe('finding an outgoing message', () => {
  const t0 = local(2026, 11, 24, 6, 0, 0);
  const row = (id: number, type: string, address: string, body: string, at: number | null): SmsRow => ({
    id,
    type,
    address,
    body,
    at,
  });

  it('compares numbers in international and national form', () => {
    expect(sameNumber('+4915112345678', '015112345678')).toBe(true);
    expect(sameNumber('+1 (555) 000-1111', '+15550001111')).toBe(true);
    expect(sameNumber('+4915112345678', '+4915112345679')).toBe(false);
    expect(sameNumber('12345', '912345')).toBe(false);
    expect(sameNumber('', '')).toBe(false);
  });

  it('finds the earliest unclaimed row with this number and text at or after the hand-over', () => {
    const rows = [
      row(1, 'sent', '+15550001111', 'hello', t0 - 60_000), // older identical message
      row(2, 'inbox', '+15550001111', 'hello', t0 + 1000), // a reply, not ours
      row(3, 'sent', '+15550002222', 'hello', t0 + 1000), // other number
      row(4, 'sent', '+15550001111', 'hello\n', t0 + 2000),
      row(5, 'failed', '+15550001111', 'hello', t0 + 3000),
    ];
    const query = { to: '+15550001111', text: 'hello', submittedAt: t0 + 500 };
    expect(findOutgoing(rows, query)).toEqual({ row: rows[3], state: 'sent' });
    expect(findOutgoing(rows, { ...query, claimed: new Set([4]) })).toEqual({
      row: rows[4],
      state: 'failed',
    });
    expect(findOutgoing(rows, { ...query, text: 'other' })).toBeNull();
  });

  it('tolerates the store second precision', () => {
    const rows = [row(1, 'sent', '+15550001111', 'x', t0)];
    expect(findOutgoing(rows, { to: '+15550001111', text: 'x', submittedAt: t0 + 900 })?.row.id).toBe(1);
    expect(findOutgoing(rows, { to: '+15550001111', text: 'x', submittedAt: t0 + 2500 })).toBeNull();
  });

  it('takes no row from before the lease of the attempt, whatever the tolerance (a retry of the same text)', () => {
    const rows = [
      row(1, 'failed', '+15550001111', 'x', t0 - 9_000), // attempt 1
      row(2, 'sent', '+15550001111', 'x', t0), // attempt 2, written in the second it was leased
    ];
    const query = { to: '+15550001111', text: 'x', submittedAt: t0 + 5_000, toleranceMs: 60_000 };
    expect(findOutgoing(rows, query)?.row.id).toBe(1);
    expect(findOutgoing(rows, { ...query, notBefore: t0 + 700 })?.row.id).toBe(2);
    expect(findOutgoing(rows.slice(0, 1), { ...query, notBefore: t0 + 700 })).toBeNull();
  });
});
