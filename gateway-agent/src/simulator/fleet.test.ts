/**
 * The fleet simulator against a real server: 20 simulated phones enrolled through the API in one
 * process, sharing one journal database; messages submitted at a rate are sent and delivered.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type AgentTestServer, startAgentTestServer, waitFor } from '../../test/server.ts';
import { Fleet, progressLine } from './fleet.ts';

let s: AgentTestServer;
beforeAll(async () => {
  s = await startAgentTestServer();
});
afterAll(async () => {
  await s?.close();
});

it('runs 20 simulated phones in one process: all online, messages flow to delivery', async () => {
  const fleet = new Fleet({
    server: s.url,
    adminKey: s.adminKey,
    devices: 20,
    ratePerMin: 600,
    pollers: 10,
    outboxWaitS: 2,
    rampMs: 200,
    seed: 7,
    canary: true,
  });
  try {
    await fleet.enroll();
    // The canary's sender always delivers, so the canary below does not depend on the draw.
    fleet.phones[0]!.driver.updateSim(0, { deliveryRate: 1, sendFailureRate: 0 });
    fleet.start();
    await waitFor(() => fleet.stats().online === 20, 10_000, 'all online');
    const devices = (await s.request('GET', '/v1/devices?limit=200')).json.devices as { liveness: string }[];
    expect(devices.filter((d) => d.liveness === 'online').length).toBe(20);
    await waitFor(() => fleet.stats().delivered >= 20, 25_000, '20 delivered', 250);
    const stats = fleet.stats();
    expect(stats.accepted).toBeGreaterThanOrEqual(20);
    expect(stats.sent).toBeGreaterThanOrEqual(stats.delivered);
    expect(progressLine(stats)).toMatch(
      /^devices online 20\/20 \| messages queued \d+ \| sent \d+ \| delivered \d+/,
    );

    // The SMS canary: phone 1 texts phone 2 over the simulated carrier network; the next run judges it up.
    const [probe] = (await s.request('GET', '/v1/probes')).json.probes;
    expect(probe).toMatchObject({ kind: 'sms_canary', intervalMs: 60_000 });
    await s.tick();
    const [one, two] = fleet.phones;
    // (The fleet's carriers take up to 18 s to send and deliver.)
    await waitFor(() => two!.agent?.counters.received === 1, 30_000, 'phone 2 received the canary', 250);
    await waitFor(() => two!.agent!.inbound.outbox.pendingCount() === 0, 5_000, 'canary reported');
    await waitFor(() => one!.agent!.journal.pendingReceiptCount() === 0, 5_000, 'receipts reported');
    s.clock.advance(60_000);
    await one!.agent!.heartbeat();
    await two!.agent!.heartbeat();
    await s.tick();
    const results = (await s.request('GET', `/v1/probes/${probe.id}/results?limit=1`)).json.results;
    expect(results[0]).toMatchObject({ status: 'up', data: { failedStage: null } });
  } finally {
    await fleet.stop();
    fleet.close();
  }
}, 90_000);
