import { describe, expect, it } from 'vitest';
import { runHeartbeatBench } from './heartbeats.ts';

/**
 * Smoke test of the heartbeat bench: it runs end to end (both servers are real child processes) and its
 * durability check holds. A fixed number of requests, so none is in flight when the server stops and
 * acknowledged must equal stored exactly. Nothing here depends on how fast the machine is.
 */
describe('heartbeat bench (quick)', () => {
  it('measures all three endpoints and finds every acknowledged heartbeat stored', async () => {
    const r = await runHeartbeatBench({ quick: true, devices: 20, connections: 16, amount: 600 });

    expect(r.devices).toBe(20);
    for (const stats of [r.heartbeats, r.bare, r.floor]) {
      expect(stats.rps).toBeGreaterThan(0);
      expect(stats.ok).toBe(600);
      expect(stats.non2xx).toBe(0);
      expect(stats.errors).toBe(0);
      expect(stats.p99).toBeGreaterThan(0);
    }
    expect(r.ratio).toBeGreaterThan(0);

    const d = r.durability;
    expect(d.serverExitCode).toBe(0);
    expect(d.inFlightAtStop).toBe(0);
    expect(d.missing).toBe(0);
    expect(d.unexpected).toBe(0);
    expect(d.acknowledged).toBeGreaterThanOrEqual(600); // the warm-up's heartbeats count too
    expect(d.stored).toBe(d.acknowledged);
    expect(d.ok).toBe(true);

    const byName = new Map(r.checks.map((c) => [c.name, c]));
    expect(byName.get('every acknowledged heartbeat is durable')?.passed).toBe(true);
    expect(byName.get('no errors')?.passed).toBe(true);
  }, 90_000);
});
