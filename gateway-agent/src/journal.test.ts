import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Journal, openJournalDb } from './journal.ts';

const lease = (id: string, attempt = 1) => ({
  id,
  attempt,
  to: '+447700900123',
  text: 'hello',
  segments: 1,
  simSlot: 0,
  expiresAt: 10_000_000,
  leaseMs: 60_000,
});

describe('Journal', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  function open() {
    const dir = mkdtempSync(join(tmpdir(), 'journal-'));
    dirs.push(dir);
    return join(dir, 'journal.db');
  }

  it('keeps messages and receipts across reopening the file (WAL, synchronous FULL)', () => {
    const path = open();
    const db = openJournalDb(path);
    expect(db.prepare('PRAGMA journal_mode').get()).toEqual({ journal_mode: 'wal' });
    expect(db.prepare('PRAGMA synchronous').get()).toEqual({ synchronous: 2 });
    const j = new Journal(db);
    j.addLeased([lease('a'), lease('b')], 100);
    j.setStatus('a', 1, 'submit_confirmed', 110, 'leased');
    j.addReceipt({ messageId: 'a', attempt: 1, status: 'sent', at: 120 });
    db.close();
    const j2 = new Journal(openJournalDb(path));
    expect(j2.get('a')!.status).toBe('submit_confirmed');
    expect(j2.byStatus('leased').map((m) => m.id)).toEqual(['b']);
    expect(j2.pendingReceipts(10).map((r) => r.status)).toEqual(['sent']);
    j2.db.close();
  });

  it('deduplicates receipts by message, attempt and status, even after they were acknowledged', () => {
    const j = new Journal(openJournalDb(':memory:'));
    expect(j.addReceipt({ messageId: 'a', attempt: 1, status: 'delivered', at: 1 })).toBe(true);
    expect(j.addReceipt({ messageId: 'a', attempt: 1, status: 'delivered', at: 2 })).toBe(false);
    j.ackReceipts(
      j.pendingReceipts(10).map((r) => r.seq),
      5,
    );
    expect(j.addReceipt({ messageId: 'a', attempt: 1, status: 'delivered', at: 3 })).toBe(false);
    expect(j.addReceipt({ messageId: 'a', attempt: 2, status: 'delivered', at: 3 })).toBe(true);
    expect(j.pendingReceiptCount()).toBe(1);
  });

  it('takes a new attempt of a message only if the engine never had the old one', () => {
    const j = new Journal(openJournalDb(':memory:'));
    j.addLeased([lease('a'), lease('b'), lease('c')], 100);
    j.setStatus('a', 1, 'dropped', 101);
    j.setStatus('b', 1, 'submit_confirmed', 101);
    j.markHanded('b', 1, 102);
    // c stays leased: a repeated lease of the same attempt changes nothing.
    const rows = j.addLeased([lease('a', 2), lease('b', 2), lease('c', 1)], 200);
    expect(rows.map((r) => [r.id, r.attempt])).toEqual([
      ['a', 2],
      ['c', 1],
    ]);
    expect(j.get('b')).toMatchObject({ attempt: 1, status: 'handed', handedAt: 102 });
  });

  it('hands a message over once: markHanded only moves a submit_confirmed row', () => {
    const j = new Journal(openJournalDb(':memory:'));
    j.addLeased([lease('a')], 100);
    expect(j.markHanded('a', 1, 101)).toBe(false);
    j.setStatus('a', 1, 'submit_confirmed', 102, 'leased');
    expect(j.markHanded('a', 1, 103)).toBe(true);
    expect(j.markHanded('a', 1, 104)).toBe(false);
    expect(j.handedSince(0)).toEqual([{ simSlot: 0, segments: 1, at: 103 }]);
  });

  it('reports the queue (not yet with the engine) and drops text once a message is final', () => {
    const j = new Journal(openJournalDb(':memory:'));
    j.addLeased([lease('a'), lease('b')], 1_000);
    expect(j.queue(11_000)).toEqual({ depth: 2, oldestPendingAgeS: 10 });
    j.setStatus('a', 1, 'submit_confirmed', 1_100);
    j.markHanded('a', 1, 1_200);
    expect(j.get('a')!.text).toBe('hello');
    j.setStatus('a', 1, 'delivered', 1_300);
    expect(j.get('a')!.text).toBe('');
    expect(j.queue(11_000).depth).toBe(1);
  });

  it('keeps many journals apart in one database (the fleet simulator)', () => {
    const db = openJournalDb(':memory:');
    const a = new Journal(db, 'dev-a');
    const b = new Journal(db, 'dev-b');
    a.addLeased([lease('m')], 1);
    a.setMeta('k', { v: 1 });
    expect(b.get('m')).toBeUndefined();
    expect(b.getMeta('k')).toBeUndefined();
    expect(b.addReceipt({ messageId: 'm', attempt: 1, status: 'sent', at: 1 })).toBe(true);
    expect(a.pendingReceiptCount()).toBe(0);
  });
});
