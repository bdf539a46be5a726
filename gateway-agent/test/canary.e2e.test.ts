/**
 * SMS canary end to end with the real agents: a real Lifeline server on 127.0.0.1 (libSQL file), two
 * agents in this process on the simulated engine, whose SIMs have numbers on the simulated carrier
 * network. The canary probe texts phone B from phone A: up with the stage latencies; then A's credit runs
 * out (its SMS fail) while both keep heartbeating: down, the component follows; credit topped up: up.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Agent } from '../src/agent.ts';
import { enrollCommand, type Output, runCommand } from '../src/commands.ts';
import { readConfig, saveConfig } from '../src/config.ts';
import type { SimulatedDriver } from '../src/drivers/simulated.ts';
import { type AgentTestServer, startAgentTestServer, waitFor } from './server.ts';

const NUMBERS = { a: '+447700900501', b: '+447700900502' };
const INTERVAL = 60_000;

const quiet: Output = { out: () => {}, err: () => {} };

interface Phone {
  home: string;
  deviceId: string;
  agent: Agent;
  driver: SimulatedDriver;
  stop: () => Promise<number>;
}

describe('SMS canary between two real agents', () => {
  let s: AgentTestServer;
  const phones: Record<'a' | 'b', Phone> = {} as never;

  async function startPhone(name: 'a' | 'b', seed: number): Promise<Phone> {
    const home = await mkdtemp(join(tmpdir(), `lifeline-canary-${name}-`));
    const code = await s.enrollmentCode();
    expect(await enrollCommand({ home, server: s.url, code, name, driver: 'simulated' }, quiet)).toBe(0);
    const config = readConfig(home)!;
    await s.unlimit(config.deviceId);
    saveConfig(home, {
      ...config,
      outboxWaitS: 5,
      limits: { perMinute: 1_000, perDay: 100_000 },
      drivers: {
        simulated: {
          seed,
          latencyMs: { sent: [5, 20], delivered: [5, 40] },
          sims: [
            {
              slot: 0,
              number: NUMBERS[name],
              carrier: { name: 'Vodafone UK', mccMnc: '23415', deliveryRate: 1, sendFailureRate: 0 },
            },
          ],
        },
      },
    });
    const controller = new AbortController();
    let agent: Agent | undefined;
    const running = runCommand(
      { home, signal: controller.signal, onAgent: (x) => (agent = x), log: () => {} },
      quiet,
    );
    await waitFor(() => agent?.connection === 'online', 10_000, `${name} online`);
    return {
      home,
      deviceId: config.deviceId,
      agent: agent!,
      driver: agent!.driver as SimulatedDriver,
      stop: () => {
        controller.abort();
        return running;
      },
    };
  }

  /** The probe's interval passes on the server's clock; both phones heartbeat (they stay online), then the tick. */
  async function nextRun() {
    s.clock.advance(INTERVAL);
    await phones.a.agent.heartbeat();
    await phones.b.agent.heartbeat();
    await s.tick();
    const res = await s.request('GET', `/v1/probes/${probeId}/results?limit=1`);
    return res.json.results[0];
  }
  const component = async () =>
    (await s.request('GET', '/v1/components')).json.components.find(
      (c: { id: string }) => c.id === componentId,
    );
  let probeId = '';
  let componentId = '';

  beforeAll(async () => {
    s = await startAgentTestServer();
    phones.a = await startPhone('a', 11);
    phones.b = await startPhone('b', 12);
  });
  afterAll(async () => {
    for (const p of Object.values(phones)) {
      await p?.stop();
      await rm(p.home, { recursive: true, force: true });
    }
    await s?.close();
  });

  it('up with stage latencies; the phone that can no longer send turns it down; recovery', async () => {
    const c = await s.request('POST', '/v1/components', { name: 'SMS path A -> B', layer: 'devices' });
    expect(c.status, JSON.stringify(c.json)).toBe(201);
    componentId = c.json.id;
    const created = await s.request('POST', '/v1/probes', {
      kind: 'sms_canary',
      name: 'Canary A -> B',
      componentId,
      config: { fromDeviceId: phones.a.deviceId, toDeviceId: phones.b.deviceId, toNumber: NUMBERS.b },
      intervalMs: INTERVAL,
      timeoutMs: 30_000,
    });
    expect(created.status, JSON.stringify(created.json)).toBe(201);
    probeId = created.json.id;

    // First run: a canary is queued; A sends it, B receives it and reports it.
    await s.tick();
    const received = (n: number) => () =>
      phones.b.agent.counters.received >= n && phones.b.agent.inbound.outbox.pendingCount() === 0;
    await waitFor(received(1), 15_000, 'B received the first canary');
    await waitFor(() => phones.a.agent.journal.pendingReceiptCount() === 0, 5_000, 'A reported');
    // Only the canary leaves B's phone, and it is in no customer's message list.
    expect((await s.allMessages()).length).toBe(0);

    // A loses its credit before the next canary goes out; it keeps heartbeating.
    phones.a.driver.updateSim(0, { sendFailureRate: 1, failureCode: 'RESULT_ERROR_GENERIC_FAILURE' });
    const up = await nextRun();
    expect(up).toMatchObject({ status: 'up', componentStatus: 'operational' });
    expect(up.data.latenciesMs.received).toBeGreaterThan(0);
    expect(up.data.latenciesMs.delivered).toBeGreaterThan(0);
    expect(up.data).toMatchObject({ failedStage: null, messageStatus: 'delivered' });
    expect(await component()).toMatchObject({ status: 'operational' });

    // The second canary fails on A; topped up again before the third goes out.
    await waitFor(() => phones.a.agent.counters.failed >= 1, 15_000, 'A failed to send');
    await waitFor(() => phones.a.agent.journal.pendingReceiptCount() === 0, 5_000, 'A reported the failure');
    phones.a.driver.updateSim(0, { sendFailureRate: 0 });
    const down = await nextRun();
    expect(down).toMatchObject({
      status: 'down',
      componentStatus: 'major_outage',
      data: { failedStage: 'sent', messageStatus: 'failed' },
    });
    expect(down.detail).toContain('RESULT_ERROR_GENERIC_FAILURE');
    expect((await s.device(phones.a.deviceId)).liveness).toBe('online');
    expect(await component()).toMatchObject({ status: 'major_outage' });

    // Recovery.
    await waitFor(received(2), 15_000, 'B received the third canary');
    const recovered = await nextRun();
    expect(recovered).toMatchObject({ status: 'up' });
    expect(await component()).toMatchObject({ status: 'operational' });
    expect(phones.b.agent.counters.received).toBe(2);
  }, 60_000);
});
