/**
 * A retry to the same phone, end to end: a real Lifeline server, the agent with the smsgate driver, and the
 * SMSGate stand-in (which answers 409 to an id it already holds, as the app does). Attempt 1 fails at the
 * engine before transmission (no service: retryable); the server requeues the message and, with no other
 * phone, leases it to the same one again. Attempt 2 must reach SMSGate under a new id, be sent and
 * delivered, and the server must see it delivered.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Agent } from '../src/agent.ts';
import { enrollCommand, runCommand } from '../src/commands.ts';
import { readConfig, saveConfig } from '../src/config.ts';
import { engineIdOf } from '../src/engine-id.ts';
import { FakeSmsGate } from './fakes/smsgate-fake.ts';
import { type AgentTestServer, startAgentTestServer, waitFor } from './server.ts';

const quiet = { out() {}, err() {} };

let s: AgentTestServer;
let fake: FakeSmsGate;
let home: string;

beforeAll(async () => {
  s = await startAgentTestServer();
  fake = new FakeSmsGate();
  await fake.start();
  home = await mkdtemp(join(tmpdir(), 'lifeline-agent-retry-'));
});
afterAll(async () => {
  await fake?.stop();
  await s?.close();
  await rm(home, { recursive: true, force: true });
});

it('a retry leased to the same phone reaches SMSGate under a new id, is sent and delivered', async () => {
  expect(
    await enrollCommand({ home, server: s.url, code: await s.enrollmentCode(), driver: 'smsgate' }, quiet),
  ).toBe(0);
  const config = readConfig(home)!;
  await s.unlimit(config.deviceId);
  saveConfig(home, {
    ...config,
    limits: { perMinute: 1_000, perDay: 100_000 },
    outboxWaitS: 1,
    drivers: {
      smsgate: {
        baseUrl: fake.baseUrl,
        username: fake.username,
        password: fake.password,
        webhookSigningKey: fake.signingKey,
        listenPort: 0,
        telemetry: 'none',
      },
    },
  });
  const controller = new AbortController();
  let agent: Agent | undefined;
  let id = '';
  const running = runCommand(
    { home, signal: controller.signal, onAgent: (a) => (agent = a), log: () => {} },
    quiet,
  );
  try {
    await waitFor(async () => (await s.device(config.deviceId)).liveness === 'online', 10_000, 'online');
    const posted = await s.request('POST', '/v1/messages', {
      to: '+447700900123',
      text: 'Your code is 1234',
    });
    expect(posted.status).toBe(201);
    id = posted.json.id as string;

    // Attempt 1 reaches SMSGate under its own id, and the phone has no service.
    const first = engineIdOf(id, 1);
    await waitFor(() => fake.messages.has(first), 10_000, 'attempt 1 handed to SMSGate');
    fake.markFailed(first, 'RESULT_ERROR_NO_SERVICE');
    const requeued = await waitFor(
      async () => {
        const m = await s.message(id);
        return m.status === 'queued' && m.attempt === 1 ? m : null;
      },
      10_000,
      'requeued after a retryable failure',
    );
    expect(requeued.retries).toBe(1);
    expect(requeued.error?.code).toBe('RESULT_ERROR_NO_SERVICE');

    // The retry is due after a backoff of up to 15 s on the server's clock: jump it.
    s.clock.advance(20_000);
    const second = engineIdOf(id, 2);
    await waitFor(() => fake.messages.has(second), 15_000, 'attempt 2 handed to SMSGate');
    const posts = fake.requests.filter((r) => r.method === 'POST' && r.path === '/message');
    expect(posts.map((r) => (r.body as { id: string }).id)).toEqual([first, second]);
    expect(fake.messages.get(second)!.state).toBe('Pending');

    fake.markSent(second);
    fake.markDelivered(second);
    const delivered = await waitFor(
      async () => {
        const m = await s.message(id);
        return m.status === 'delivered' ? m : null;
      },
      10_000,
      'delivered on the server',
    );
    expect(delivered.attempt).toBe(2);
    // The server's history: attempt 1 failed (and was requeued), attempt 2 delivered.
    const history = (delivered.events as { status: string; attempt: number; errorCode: string | null }[]).map(
      (e) => `${e.attempt}:${e.status}${e.errorCode ? `:${e.errorCode}` : ''}`,
    );
    expect(history).toContain('1:failed:RESULT_ERROR_NO_SERVICE');
    expect(history).toContain('2:delivered');
    expect(agent!.journal.get(id)).toMatchObject({ attempt: 2, status: 'delivered' });
    await waitFor(() => agent!.journal.pendingReceiptCount() === 0, 5_000, 'receipts acknowledged');
    // Each attempt was handed over exactly once.
    expect([...fake.messages.keys()].sort()).toEqual([first, second]);
  } finally {
    controller.abort();
    expect(await running).toBe(0);
  }

  // After a restart (the driver's webhook deduplication starts empty), SMSGate repeats attempt 1's
  // failure late: it is filed under attempt 1 and changes nothing of attempt 2.
  const logs: string[] = [];
  agent = undefined;
  const again = new AbortController();
  const rerun = runCommand(
    {
      home,
      signal: again.signal,
      onAgent: (a) => (agent = a),
      log: (level, message) => logs.push(`${level} ${message}`),
    },
    quiet,
  );
  try {
    await waitFor(() => agent?.connection === 'online', 10_000, 'online again');
    const hooksBefore = fake.deliveries.length;
    fake.markFailed(engineIdOf(id, 1), 'RESULT_ERROR_NO_SERVICE');
    await fake.settled();
    expect(fake.deliveries.slice(hooksBefore).map((d) => d.status)).toEqual([200]);
    expect(agent!.journal.get(id)).toMatchObject({ attempt: 2, status: 'delivered' });
    await waitFor(() => agent!.journal.pendingReceiptCount() === 0, 5_000, 'receipts acknowledged');
    const after = await s.message(id);
    expect(after.status).toBe('delivered');
    expect(
      after.events
        .filter((e: { attempt: number }) => e.attempt === 2)
        .map((e: { status: string }) => e.status),
    ).not.toContain('failed');
    expect(logs.filter((l) => l.startsWith('error') || l.includes('not in the journal'))).toEqual([]);
  } finally {
    again.abort();
    expect(await rerun).toBe(0);
  }
}, 60_000);
