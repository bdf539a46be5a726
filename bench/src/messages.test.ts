import { describe, expect, it } from 'vitest';
import { runMessageBench } from './messages.ts';

/**
 * Smoke test of the message pipeline bench: it runs end to end (both servers are real child processes,
 * the devices poll and report from this process), every message is delivered exactly once, and every
 * accepted batch is stored whole. A fixed number of accept requests, so none is in flight when the server
 * stops and accepted must equal stored exactly. Nothing here depends on how fast the machine is.
 */
describe('message pipeline bench (quick)', () => {
  it('delivers every message exactly once and finds every accepted batch stored', async () => {
    const r = await runMessageBench({
      quick: true,
      devices: 10,
      batchSize: 20,
      connections: 4,
      amount: 25,
      steadyS: 1,
      e2eMessages: 200,
      e2eTimeoutS: 30,
    });

    expect(r.devices).toBe(10);
    for (const stats of [r.accept, r.bare]) {
      expect(stats.ok).toBe(25);
      expect(stats.non2xx).toBe(0);
      expect(stats.errors).toBe(0);
      expect(stats.rps).toBeGreaterThan(0);
    }
    expect(r.messagesPerS).toBeGreaterThan(0);

    const d = r.durability;
    expect(d.serverExitCode).toBe(0);
    expect(d.inFlightAtStop).toBe(0);
    expect(d.missing).toBe(0);
    expect(d.partialBatches).toBe(0);
    expect(d.unexpected).toBe(0);
    expect(d.acknowledgedBatches).toBe(25 + 4 * 2); // the warm-up's batches count too
    expect(d.stored).toBe(d.acknowledgedMessages);
    expect(d.ok).toBe(true);

    const e = r.e2e;
    expect(e.steady.submitted).toBe(5); // 10 phones × 30/min = 5 messages/s, for 1 s
    expect(e.burst.submitted).toBe(200);
    for (const phase of [e.steady, e.burst]) {
      expect(phase.accepted).toBe(phase.submitted);
      expect(phase.delivered).toBe(phase.submitted);
      expect(phase.throughput).toBeGreaterThan(0);
    }
    expect(e.submitted).toBe(205);
    expect(e.handedOutTwice).toBe(0);
    expect(e.sentTwice).toBe(0);
    expect(e.receiptsNotApplied).toBe(0);
    expect(e.errors).toBe(0);
    expect(e.stored).toEqual({ messages: 205, delivered: 205, notExactlyOnce: 0, ok: true });

    const byName = new Map(r.checks.map((c) => [c.name, c]));
    expect(byName.get('every accepted message is durable')?.passed).toBe(true);
    expect(byName.get('every message delivered exactly once')?.passed).toBe(true);
    expect(byName.get('no errors')?.passed).toBe(true);
  }, 60_000);
});
