import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as contract from '@lifeline/monitor/contract';
import { canaryText, type InboundSms } from '@lifeline/monitor/contract';
import { afterEach, describe, expect, it } from 'vitest';
import { canaryNonceOf, InboundForwarder, InboundOutbox, MAX_INBOUND_PER_BATCH } from './inbound.ts';
import { Journal, openJournalDb } from './journal.ts';
import { ApiError, TransientError } from './server-client.ts';

const NONCE = '0123456789ABCDEF';
const OTHER = 'ZYXWVTSRQPNMKJHG';
const clock = { now: () => 5_000, monotonic: () => 0 };
const received = (text: string, at = 1_000) => ({
  type: 'received' as const,
  from: '+447700900111',
  text,
  at,
});

/** A server double: answers each batch, or throws what the test queues. */
class FakeClient {
  readonly batches: InboundSms[][] = [];
  readonly failures: unknown[] = [];
  refuse: (sms: InboundSms) => boolean = () => false;
  async inbound(messages: InboundSms[]) {
    this.batches.push(messages);
    const failure = this.failures.shift();
    if (failure) throw failure;
    if (messages.some(this.refuse)) throw new ApiError(400, 'invalid_field', 'bad');
    return messages.map(() => ({ nonce: NONCE, outcome: 'recorded' as const }));
  }
}

describe('the canary marker', () => {
  it("is the server's: the same nonce from the same texts, nothing from others", () => {
    const texts = [
      ...Array.from({ length: 50 }, () => canaryText(contract.newCanaryNonce())),
      `Fwd: ${canaryText(NONCE)}`,
      'Lifeline canary 0123456789ABCDEFG',
      'Lifeline canary 0123456789abcdef',
      'lifeline canary 0123456789ABCDEF',
      'Lifeline canary 0123456789ABCDEI',
      'Your code is 123456',
    ];
    for (const t of texts) expect(canaryNonceOf(t), t).toBe(contract.canaryNonceOf(t));
    expect(canaryNonceOf(canaryText(NONCE))).toBe(NONCE);
    expect(MAX_INBOUND_PER_BATCH).toBe(contract.MAX_INBOUND_PER_BATCH);
  });
});

describe('received SMS canaries', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  function journalAt() {
    const dir = mkdtempSync(join(tmpdir(), 'inbound-'));
    dirs.push(dir);
    return join(dir, 'journal.db');
  }

  it('keeps only canaries, once each, across a restart; other texts are never stored', () => {
    const path = journalAt();
    const db = openJournalDb(path);
    const outbox = new InboundOutbox(new Journal(db));
    const forwarder = new InboundForwarder({ outbox, client: new FakeClient(), clock });
    expect(forwarder.accept(received('Your bank code is 123456'))).toBe(false);
    expect(forwarder.accept(received(canaryText(NONCE)))).toBe(true);
    expect(forwarder.accept(received(canaryText(NONCE), 1_500))).toBe(false); // the engine repeated it
    expect(forwarder.accept({ ...received(canaryText(OTHER)), simSlot: 1 })).toBe(true);
    const stored = JSON.stringify(db.prepare('SELECT * FROM inbound').all());
    expect(stored).not.toContain('bank');
    db.close();
    const reopened = new InboundOutbox(new Journal(openJournalDb(path)));
    expect(reopened.pending()).toEqual([
      { seq: 1, from: '+447700900111', text: canaryText(NONCE), receivedAt: 1_000 },
      { seq: 3, from: '+447700900111', text: canaryText(OTHER), receivedAt: 1_000, simSlot: 1 },
    ]);
  });

  it('posts them, forgets their text once answered, and keeps them while the server is away', async () => {
    const db = openJournalDb(':memory:');
    const outbox = new InboundOutbox(new Journal(db, 'phone-1'));
    const client = new FakeClient();
    const forwarder = new InboundForwarder({ outbox, client, clock });
    forwarder.accept(received(canaryText(NONCE)));
    client.failures.push(new TransientError('server down'));
    await expect(forwarder.flush()).rejects.toThrow('server down');
    expect(outbox.pendingCount()).toBe(1);
    expect(await forwarder.flush()).toBe(0);
    expect(client.batches.at(-1)).toEqual([
      { from: '+447700900111', text: canaryText(NONCE), receivedAt: 1_000 },
    ]);
    expect(db.prepare('SELECT body, acked_at FROM inbound').all()).toEqual([{ body: '', acked_at: 5_000 }]);
    // Another phone's journal in the same database is its own.
    expect(new InboundOutbox(new Journal(db, 'phone-2')).pendingCount()).toBe(0);
  });

  it('a batch the server refuses is posted one by one, and only the bad canary is dropped', async () => {
    const outbox = new InboundOutbox(new Journal(openJournalDb(':memory:')));
    const client = new FakeClient();
    client.refuse = (sms) => sms.text.includes(OTHER);
    const refused: string[] = [];
    const forwarder = new InboundForwarder({
      outbox,
      client,
      clock,
      onRefused: (sms) => refused.push(sms.text),
    });
    forwarder.accept(received(canaryText(NONCE)));
    forwarder.accept(received(canaryText(OTHER)));
    expect(await forwarder.flush()).toBe(0);
    expect(client.batches.map((b) => b.length)).toEqual([2, 1, 1]);
    expect(refused).toEqual([canaryText(OTHER)]);
  });

  it('runs: posts a canary as soon as it arrives, holds them while not ready', async () => {
    const outbox = new InboundOutbox(new Journal(openJournalDb(':memory:')));
    const client = new FakeClient();
    const forwarder = new InboundForwarder({ outbox, client, clock });
    const stop = new AbortController();
    let ready = false;
    const errors: unknown[] = [];
    const running = forwarder.run({
      signal: stop.signal,
      ready: () => ready,
      onError: (e) => errors.push(e),
    });
    forwarder.accept(received(canaryText(NONCE)));
    await new Promise((r) => setTimeout(r, 20));
    expect(client.batches).toEqual([]);
    ready = true;
    forwarder.accept(received(canaryText(OTHER)));
    for (let i = 0; i < 50 && outbox.pendingCount() > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(outbox.pendingCount()).toBe(0);
    expect(client.batches.flat().map((s) => s.text)).toEqual([canaryText(NONCE), canaryText(OTHER)]);
    stop.abort();
    await running;
    expect(errors).toEqual([]);
  });
});
