/**
 * A real server outage while messages are being sent: the HTTP server is stopped for OUTAGE_S seconds
 * (default 30) and started again on the same port and database file. Meanwhile the engine keeps
 * reporting outcomes; the agent keeps them in its journal and flushes them once the server is back.
 * Nothing is lost, and heartbeats continue their sequence instead of being replayed.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Agent } from '../src/agent.ts';
import { enrollCommand, runCommand } from '../src/commands.ts';
import { readConfig, saveConfig } from '../src/config.ts';
import type { SimulatedDriver } from '../src/drivers/simulated.ts';
import { engineIdOf } from '../src/engine-id.ts';
import { type AgentTestServer, startAgentTestServer, waitFor } from './server.ts';

const OUTAGE_S = Number(process.env.OUTAGE_S ?? 30);
const quiet = { out() {}, err() {} };

let s: AgentTestServer;
let home: string;

beforeAll(async () => {
  s = await startAgentTestServer();
  home = await mkdtemp(join(tmpdir(), 'lifeline-agent-outage-'));
});
afterAll(async () => {
  await s?.close();
  await rm(home, { recursive: true, force: true });
});

it(`survives a ${OUTAGE_S} s server outage during sending: receipts flushed after recovery, nothing lost`, async () => {
  expect(
    await enrollCommand({ home, server: s.url, code: await s.enrollmentCode(), driver: 'simulated' }, quiet),
  ).toBe(0);
  const config = readConfig(home)!;
  await s.unlimit(config.deviceId);
  saveConfig(home, {
    ...config,
    limits: { perMinute: 10_000, perDay: 1_000_000 },
    outboxWaitS: 1,
    backoff: { baseMs: 200, maxMs: 3_000 },
    drivers: {
      simulated: {
        seed: 5,
        // Delivery reports arrive up to 12 s after sending: many of them during the outage.
        latencyMs: { sent: [10, 300], delivered: [500, 12_000] },
      },
    },
  });
  const controller = new AbortController();
  let agent: Agent | undefined;
  const running = runCommand(
    { home, signal: controller.signal, onAgent: (a) => (agent = a), log: () => {} },
    quiet,
  );
  try {
    await waitFor(async () => (await s.device(config.deviceId)).liveness === 'online', 10_000, 'online');
    const ids = await s.sendMessages(60);
    // Sending has started: every message is with the engine, most outcomes still to come.
    await waitFor(
      async () => (await s.messages(ids)).every((m) => m.status !== 'queued' && m.status !== 'leased'),
      10_000,
      'all submitted',
    );
    const seqBefore = (await s.device(config.deviceId)).lastHealth.seq as number;
    const runId = agent!.runId;

    await s.stop();
    const outageStart = Date.now();
    await waitFor(() => agent!.connection === 'offline', 10_000, 'agent notices the outage');
    // Outcomes keep coming from the engine and wait in the journal.
    await waitFor(() => agent!.journal.pendingReceiptCount() > 0, 15_000, 'receipts waiting');
    const waitingDuringOutage = agent!.journal.pendingReceiptCount();
    await new Promise((r) => setTimeout(r, Math.max(0, OUTAGE_S * 1000 - (Date.now() - outageStart))));
    await s.start();

    const terminal = ['delivered', 'undelivered', 'failed'];
    const finals = await waitFor(
      async () => {
        const all = await s.messages(ids);
        return all.every((m) => terminal.includes(m.status)) ? all : null;
      },
      30_000,
      'all terminal after recovery',
      250,
    );
    await waitFor(() => agent!.journal.pendingReceiptCount() === 0, 10_000, 'journal drained');
    const engine = new Map((agent!.driver as SimulatedDriver).store.all().map((r) => [r.id, r]));
    for (const m of finals) expect(m.status).toBe(engine.get(engineIdOf(m.id, m.attempt))!.state);
    expect(waitingDuringOutage).toBeGreaterThan(0);

    // Heartbeats continue the sequence of the same run; nothing was queued and replayed.
    // The agent heartbeats as soon as it reaches the server again.
    const after = await waitFor(
      async () => {
        const h = (await s.device(config.deviceId)).lastHealth;
        return h.seq > seqBefore ? h : null;
      },
      10_000,
      'a heartbeat after the outage',
    );
    expect(after.runId).toBe(runId);
    expect(after.seq).toBeGreaterThan(seqBefore);
    // Every heartbeat attempt took a sequence number, the failed ones too: the gap shows what was missed.
    expect(agent!.counters.heartbeats + agent!.counters.heartbeatFailures).toBe(after.seq + 1);
  } finally {
    controller.abort();
    await running;
  }
}, 120_000);
