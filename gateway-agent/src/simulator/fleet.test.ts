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
  });
  try {
    await fleet.enroll();
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
  } finally {
    await fleet.stop();
    fleet.close();
  }
}, 60_000);
