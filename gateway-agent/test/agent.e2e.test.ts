/**
 * End to end: a real Lifeline server on 127.0.0.1 and the agent (in this process) with the simulated
 * engine: enrolment through the CLI's command, heartbeats bring the device online, messages are leased,
 * sent and delivered, and every receipt reaches the server. Then `status` and `doctor` against it.
 */
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../src/agent.ts';
import { doctorChecks, enrollCommand, type Output, readStatus, runCommand } from '../src/commands.ts';
import { readConfig, saveConfig } from '../src/config.ts';
import { engineIdOf } from '../src/engine-id.ts';
import { type AgentTestServer, startAgentTestServer, waitFor } from './server.ts';

function capture(): Output & { lines: string[] } {
  const lines: string[] = [];
  return { lines, out: (l) => lines.push(l), err: (l) => lines.push(l) };
}

describe('agent against a real server', () => {
  let s: AgentTestServer;
  let home: string;

  beforeAll(async () => {
    s = await startAgentTestServer();
    home = await mkdtemp(join(tmpdir(), 'lifeline-agent-home-'));
  });
  afterAll(async () => {
    await s?.close();
    await rm(home, { recursive: true, force: true });
  });

  it('enrols, heartbeats, sends and delivers, and reports every receipt', async () => {
    const io = capture();
    const code = await s.enrollmentCode();
    expect(
      await enrollCommand({ home, server: s.url, code, name: 'Test phone', driver: 'simulated' }, io),
    ).toBe(0);
    expect((await stat(join(home, 'token'))).mode & 0o777).toBe(0o600);
    expect((await readFile(join(home, 'token'), 'utf8')).trim()).toMatch(/^ll_dev_/);
    const config = readConfig(home)!;
    expect(config.server).toBe(s.url);
    await s.unlimit(config.deviceId);
    saveConfig(home, {
      ...config,
      limits: { perMinute: 1_000, perDay: 100_000 },
      drivers: {
        simulated: {
          seed: 3,
          latencyMs: { sent: [5, 30], delivered: [5, 60] },
          sims: [
            {
              slot: 0,
              carrier: { name: 'Vodafone UK', mccMnc: '23415', deliveryRate: 0.8, sendFailureRate: 0.1 },
            },
          ],
        },
      },
    });

    const controller = new AbortController();
    let agent: Agent | undefined;
    const running = runCommand(
      { home, signal: controller.signal, onAgent: (a) => (agent = a), log: () => {} },
      capture(),
    );
    try {
      await waitFor(async () => (await s.device(config.deviceId)).liveness === 'online', 10_000, 'online');
      const device = await s.device(config.deviceId);
      expect(device.lastHealth.driver.name).toBe('simulated');
      expect(device.lastHealth.sims[0].carrier).toBe('Vodafone UK');
      expect(device.lastHealth.driver.capabilities.deliveryReports).toBe(true);

      const ids = await s.sendMessages(40);
      const terminal = ['delivered', 'undelivered', 'failed'];
      const finals = await waitFor(
        async () => {
          const all = await s.messages(ids);
          return all.every((m) => terminal.includes(m.status)) ? all : null;
        },
        20_000,
        'all terminal',
        200,
      );
      // Every outcome the engine produced is the one the server holds (the engine knows each message by
      // the id of the attempt it was handed over under).
      const driver = agent!.driver as import('../src/drivers/simulated.ts').SimulatedDriver;
      const handed = new Map(driver.store.all().map((r) => [r.id, r]));
      expect(handed.size).toBe(40);
      for (const m of finals) {
        const r = handed.get(engineIdOf(m.id, m.attempt))!;
        expect(m.status).toBe(r.state);
      }
      const statuses = new Set(finals.map((m) => m.status));
      expect(statuses.has('delivered')).toBe(true);
      expect(agent!.counters.delivered).toBe(finals.filter((m) => m.status === 'delivered').length);
      await waitFor(() => agent!.journal.pendingReceiptCount() === 0, 5_000, 'receipts acknowledged');

      // A receipt the server cannot take (id too long for its schema) is isolated and dropped; it does
      // not block the receipts queued behind it.
      agent!.journal.addReceipt({ messageId: 'x'.repeat(100), attempt: 1, status: 'sent', at: Date.now() });
      // (A late `unknown` for a finished message: the server records it as stale.)
      expect(
        agent!.journal.addReceipt({ messageId: ids[0]!, attempt: 1, status: 'unknown', at: Date.now() }),
      ).toBe(true);
      expect(agent!.journal.pendingReceiptCount()).toBe(2);
      await waitFor(() => agent!.journal.pendingReceiptCount() === 0, 10_000, 'bad receipt isolated');

      // status reads the journal while the daemon runs.
      const st = readStatus(home);
      expect(st.daemon).toBe('running');
      expect(st.connection).toBe('connected');
      expect(st.lastHeartbeat?.seq).toBeGreaterThanOrEqual(0);
      expect(st.queue.depth).toBe(0);
      expect(st.pendingReceipts).toBe(0);

      // doctor: token, server, clock skew, driver pass; Android checks skipped here.
      const checks = await doctorChecks({ home, android: false });
      const byName = Object.fromEntries(checks.map((c) => [c.name, c]));
      expect(byName['token permissions']!.status).toBe('pass');
      expect(byName.server!.status).toBe('pass');
      expect(byName['clock skew']!.status).toBe('pass');
      expect(byName['driver simulated']!.status).toBe('pass');
      expect(byName['wake lock']!.detail).toBe('skipped: not on Android');
    } finally {
      controller.abort();
      expect(await running).toBe(0);
    }
    expect(readStatus(home).daemon).toBe('not running');
  });

  it('a paused device keeps running and says so; resumed, it heartbeats and sends again', async () => {
    const home2 = await mkdtemp(join(tmpdir(), 'lifeline-agent-home-'));
    try {
      const code = await s.enrollmentCode();
      expect(await enrollCommand({ home: home2, server: s.url, code, driver: 'simulated' }, capture())).toBe(
        0,
      );
      const config = readConfig(home2)!;
      saveConfig(home2, { ...config, outboxWaitS: 1, limits: { perMinute: 1_000, perDay: 100_000 } });
      // A short interval so the resumed heartbeat comes quickly: the workspace's, set before the PATCH,
      // which clears the auth cache (the other test's phone is stopped by now).
      await s.setHeartbeatInterval(config.deviceId, 2_000);
      await s.unlimit(config.deviceId);
      const controller = new AbortController();
      let agent: Agent | undefined;
      const running = runCommand(
        { home: home2, signal: controller.signal, onAgent: (a) => (agent = a), log: () => {} },
        capture(),
      );
      try {
        await waitFor(() => agent?.connection === 'online', 10_000, 'online');
        expect((await s.request('PATCH', `/v1/devices/${config.deviceId}`, { paused: true })).status).toBe(
          200,
        );
        await waitFor(() => agent!.connection === 'paused', 10_000, 'paused');
        expect(readStatus(home2)).toMatchObject({ daemon: 'running', state: 'paused' });
        expect(readStatus(home2).lastError?.code).toBe('device_paused');
        expect(agent!.stopped).toBe(false);

        expect((await s.request('PATCH', `/v1/devices/${config.deviceId}`, { paused: false })).status).toBe(
          200,
        );
        await waitFor(() => agent!.connection === 'online', 10_000, 'resumed');
        expect(readStatus(home2).state).toBe('running');
        // Preferring this device: the first test's phone (stopped) still counts as online for a while.
        const sent = await s.request('POST', '/v1/messages', {
          to: '+447700900555',
          text: 'after resume',
          deviceId: config.deviceId,
        });
        expect(sent.status).toBe(201);
        await waitFor(
          async () => ['sent', 'delivered', 'undelivered'].includes((await s.message(sent.json.id)).status),
          15_000,
          'sent after resume',
        );
      } finally {
        controller.abort();
        expect(await running).toBe(0);
      }
    } finally {
      await rm(home2, { recursive: true, force: true });
    }
  }, 40_000);
});
