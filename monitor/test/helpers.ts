import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultComponentsQueries, insertWorkspaceQuery, newId } from '@lifeline/db';
import { messages } from '@lifeline/db/schema';
import { bootstrapFirstRun } from '../src/bootstrap.ts';
import { ManualClock } from '../src/clock.ts';
import type { HeartbeatBody } from '../src/contract/heartbeat.ts';
import { jsonLogger } from '../src/logger.ts';
import { createApiKey } from '../src/routes/api-keys.ts';
import { type NodeServerOptions, startNodeServer } from '../src/server.ts';

export const T0 = Date.UTC(2026, 10, 1, 12, 0, 0);

export type TestServer = Awaited<ReturnType<typeof startTestServer>>;

/** A real Lifeline server on 127.0.0.1 with a fresh libSQL file and a manual clock (`site`: with the status site). */
export async function startTestServer(
  opts: {
    site?: boolean;
    alerts?: NodeServerOptions['alerts'];
    allowPrivateSubscriptionTargets?: boolean;
    backup?: NodeServerOptions['backup'];
  } = {},
) {
  const dir = await mkdtemp(join(tmpdir(), 'lifeline-test-'));
  const clock = new ManualClock(T0);
  const databasePath = join(dir, 'test.db');
  const server = await startNodeServer({
    databaseUrl: `file:${databasePath}`,
    backup: opts.backup,
    clock,
    logger: jsonLogger('silent'),
    site: opts.site ?? false,
    alerts: opts.alerts,
    allowPrivateSubscriptionTargets: opts.allowPrivateSubscriptionTargets,
  });
  const creds = await bootstrapFirstRun(server.deps.db, clock.now());
  if (!creds) throw new Error('expected a first run');

  async function request(
    method: string,
    path: string,
    opts: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
  ) {
    const headers: Record<string, string> = { ...opts.headers };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    let body: string | undefined;
    if (opts.raw !== undefined) body = opts.raw;
    else if (opts.body !== undefined) body = JSON.stringify(opts.body);
    if (body !== undefined && !('content-type' in headers)) headers['content-type'] = 'application/json';
    const res = await fetch(server.url + path, { method, headers, body });
    const text = await res.text();
    // biome-ignore lint/suspicious/noExplicitAny: tests read whatever JSON came back
    let json: any = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = text;
    }
    return { status: res.status, json, headers: res.headers };
  }

  async function enrollDevice(name = 'Phone', workspaceKey = creds!.apiKey) {
    const code = await request('POST', '/v1/enrollment-codes', { token: workspaceKey, body: {} });
    if (code.status !== 201) throw new Error(`code: ${code.status} ${JSON.stringify(code.json)}`);
    const enrolled = await request('POST', '/v1/devices/enroll', { body: { code: code.json.code, name } });
    if (enrolled.status !== 201)
      throw new Error(`enroll: ${enrolled.status} ${JSON.stringify(enrolled.json)}`);
    return enrolled.json as { deviceId: string; token: string; workspaceId: string };
  }

  /** Inserts a message leased to a device, as the router will once the message pipeline lands. */
  async function seedLeasedMessage(workspaceId: string, deviceId: string, attempt = 1) {
    const id = newId('msg', clock.now());
    await server.deps.db.insert(messages).values({
      id,
      workspaceId,
      recipient: '+447700900123',
      body: 'hello',
      encoding: 'gsm7',
      segments: 1,
      status: 'leased',
      stateRank: 1,
      attempt,
      deviceId,
      createdAt: clock.now(),
      updatedAt: clock.now(),
      expiresAt: clock.now() + 86_400_000,
      deadlineAt: clock.now() + 60_000,
    });
    return id;
  }

  /** A second workspace with its own admin key, to check isolation. */
  async function createWorkspace(slug: string) {
    const ws = insertWorkspaceQuery(server.deps.db, { slug, name: slug, now: clock.now() });
    const key = await createApiKey(server.deps.db, {
      workspaceId: ws.row.id,
      name: 'test',
      now: clock.now(),
    });
    await server.deps.db.batch([
      ws.query,
      key.query,
      ...defaultComponentsQueries(server.deps.db, ws.row.id, clock.now()),
    ]);
    return { workspaceId: ws.row.id, apiKey: key.key };
  }

  let stopped: Promise<void> | null = null;
  const stop = () => {
    stopped ??= server.close();
    return stopped;
  };

  return {
    url: server.url,
    dir,
    databasePath,
    backups: server.backups,
    createWorkspace,
    clock,
    deps: server.deps,
    creds,
    request,
    enrollDevice,
    seedLeasedMessage,
    /** Stops the server and keeps its files (to look at or restart them). */
    stop,
    async close() {
      await stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

let seqCounter = 0;

/** A valid heartbeat; override any field. */
export function heartbeat(overrides: Partial<HeartbeatBody> = {}): HeartbeatBody {
  return {
    runId: 'run-1',
    seq: seqCounter++,
    monotonicMs: 1_000,
    bootId: 'boot-1',
    deviceTime: T0,
    appVersion: '0.1.0',
    driver: { name: 'simulated', status: 'pass' },
    battery: { percent: 80, charging: true, temperatureC: 31 },
    network: { type: 'cellular', connected: true },
    sims: [{ slot: 0, carrier: 'Vodafone UK', mccMnc: '23415', signalDbm: -85, signalLevel: 3 }],
    queue: { depth: 0, oldestPendingAgeS: null },
    counters: { sent: 0, delivered: 0, failed: 0 },
    lastSendSuccessAt: null,
    lastError: null,
    ...overrides,
  };
}
