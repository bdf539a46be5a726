/**
 * Time to alert, end to end: the real server in its own process (`npm start`'s entry, heartbeat interval
 * 2 s and tick 1 s so a run takes seconds, not minutes), a simulated gateway agent in this process, and a
 * local push service that decrypts what it receives and checks the VAPID signature. The phone's agent is
 * stopped (as if the phone died) and the clock runs until the admin's browser has the notification.
 * Target: within grace + 10 s, where grace is the blueprint's offline threshold (5 intervals). The
 * baseline of the same run is the grace itself: the figure is how much alerting adds on top of it.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FakePushService } from '../../alerts/test/fakes/push-service.ts';
import { Agent } from '../../gateway-agent/src/agent.ts';
import { systemClock } from '../../gateway-agent/src/clock.ts';
import { SimulatedDriver } from '../../gateway-agent/src/drivers/simulated.ts';
import { Journal, openJournalDb } from '../../gateway-agent/src/journal.ts';
import { ServerClient } from '../../gateway-agent/src/server-client.ts';
import { type Bench, type Check, type Child, formatChecks, startLifeline } from './harness.ts';

async function api(url: string, method: string, path: string, token: string | null, body?: unknown) {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${url}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = (await res.json().catch(() => null)) as Record<string, unknown> | null;
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
  return json!;
}

async function waitFor<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | null | undefined> | T | null | undefined,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null && value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface TimeToAlertResult {
  intervalS: number;
  graceMs: number;
  rounds: number[];
  checks: Check[];
}

export async function measureTimeToAlert(opts: {
  rounds: number;
  intervalS: number;
  log: (line: string) => void;
}) {
  const { log } = opts;
  const dir = await mkdtemp(join(tmpdir(), 'lifeline-bench-alert-'));
  const push = new FakePushService();
  let server: Child | undefined;
  const agents: Agent[] = [];
  try {
    await push.start();
    log('starting Lifeline (heartbeat interval 2 s, tick 1 s)');
    const started = await startLifeline({
      dbPath: join(dir, 'bench.db'),
      env: { HEARTBEAT_INTERVAL_S: String(opts.intervalS), TICK_INTERVAL_S: '1' },
    });
    server = started.child;
    const { adminKey, url } = started;
    const browser = push.subscribe();
    await api(url, 'POST', '/v1/alert-subscriptions', adminKey, {
      channel: 'web_push',
      subscription: { endpoint: browser.endpoint, keys: browser.keys },
    });
    const graceMs = 5 * opts.intervalS * 1000;
    const rounds: number[] = [];
    for (let round = 0; round < opts.rounds; round++) {
      const code = (await api(url, 'POST', '/v1/enrollment-codes', adminKey, {})).code as string;
      const enrolled = await api(url, 'POST', '/v1/devices/enroll', null, {
        code,
        name: `Bench phone ${round + 1}`,
      });
      const agent = new Agent({
        journal: new Journal(openJournalDb(':memory:'), String(enrolled.deviceId)),
        driver: new SimulatedDriver({ seed: round }),
        client: new ServerClient({ url, token: String(enrolled.token) }),
        clock: systemClock,
        poll: false,
        persistStatus: false,
      });
      agents.push(agent);
      const running = agent.run();
      await waitFor('the phone online', 30_000, async () => {
        const d = await api(url, 'GET', `/v1/devices/${enrolled.deviceId}`, adminKey);
        return d.liveness === 'online' ? true : null;
      });
      // Let it heartbeat a little, then the phone dies: the last heartbeat it sent is the start.
      await new Promise((r) => setTimeout(r, 2 * opts.intervalS * 1000));
      const name = `Bench phone ${round + 1}`;
      agent.stop();
      await running;
      const device = await api(url, 'GET', `/v1/devices/${enrolled.deviceId}`, adminKey);
      const lastSeen = Number(device.lastSeenAt);
      const got = await waitFor('the push notification', graceMs + 60_000, () =>
        push.received.some(
          (p) => (p.payload as { title?: string }).title === `Device offline: ${name} (firing)`,
        )
          ? Date.now()
          : null,
      );
      const took = got - lastSeen;
      rounds.push(took);
      log(
        `round ${round + 1}: notified ${(took / 1000).toFixed(1)} s after the last heartbeat (grace ${graceMs / 1000} s)`,
      );
      // Back online before the next round, so the next phone is a new alert of its own.
      await api(url, 'DELETE', `/v1/devices/${enrolled.deviceId}`, adminKey);
    }
    const worst = Math.max(...rounds);
    const checks: Check[] = [
      {
        name: 'pushed within grace + 10 s',
        passed: worst <= graceMs + 10_000,
        detail: `worst ${(worst / 1000).toFixed(1)} s = grace ${graceMs / 1000} s + ${((worst - graceMs) / 1000).toFixed(1)} s`,
      },
      {
        name: 'the push verified and decrypted',
        passed: push.received.length >= opts.rounds && push.rejected.length === 0,
        detail: `${push.received.length} received, ${push.rejected.length} refused`,
      },
    ];
    return { intervalS: opts.intervalS, graceMs, rounds, checks };
  } finally {
    for (const a of agents) a.stop();
    await server?.stop('SIGTERM', 30_000);
    await push.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

export const timeToAlertBench: Bench = {
  name: 'time-to-alert',
  summary: 'a phone stops heartbeating: time until the admin has a push notification',
  async run({ quick, log }) {
    const r = await measureTimeToAlert({ rounds: quick ? 1 : 3, intervalS: 2, log: (l) => log(`  · ${l}`) });
    const sorted = [...r.rounds].sort((a, b) => a - b);
    log(`  grace (offline after 5 × ${r.intervalS} s): ${r.graceMs / 1000} s   ← baseline`);
    log(
      `  time to alert: median ${(sorted[Math.floor(sorted.length / 2)]! / 1000).toFixed(1)} s, worst ${(sorted.at(-1)! / 1000).toFixed(1)} s  (${(sorted.at(-1)! / r.graceMs).toFixed(2)}× grace)`,
    );
    for (const line of formatChecks(r.checks)) log(line);
    return { name: 'time-to-alert', checks: r.checks };
  },
};
