/**
 * A real Lifeline server for the agent's tests: the monitor's Node server on 127.0.0.1 with a libSQL
 * file in a temp dir, on a clock that follows real time plus an offset the test can jump forward (to let
 * leases lapse without waiting 75 s). It can be stopped and started again on the same port and file.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from '@libsql/client';
import { bootstrapFirstRun } from '@lifeline/monitor/bootstrap';
import { type NodeServer, startNodeServer } from '@lifeline/monitor/server';
import { tick } from '@lifeline/monitor/tick';

// biome-ignore lint/suspicious/noExplicitAny: tests read whatever JSON came back
type Json = any;

export class OffsetClock {
  offsetMs = 0;
  now(): number {
    return Date.now() + this.offsetMs;
  }
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

const silent = { info() {}, warn() {}, error() {}, debug() {} };

export interface AgentTestServer {
  url: string;
  port: number;
  dir: string;
  clock: OffsetClock;
  adminKey: string;
  request(
    method: string,
    path: string,
    body?: unknown,
    token?: string,
  ): Promise<{ status: number; json: Json }>;
  enrollmentCode(): Promise<string>;
  /** Per-SIM limits high enough for tests. */
  unlimit(deviceId: string): Promise<void>;
  sendMessages(n: number, prefix?: string): Promise<string[]>;
  message(id: string): Promise<Json>;
  messages(ids: string[]): Promise<Json[]>;
  device(id: string): Promise<Json>;
  /** Every message of the workspace (paged). */
  allMessages(): Promise<Json[]>;
  tick(): Promise<unknown>;
  /**
   * Sets the heartbeat interval of a device's workspace in the database (below the API's 10 s minimum, for
   * quick tests); devices learn it once their cached authentication is cleared or expires.
   */
  setHeartbeatInterval(deviceId: string, ms: number): Promise<void>;
  /** Cuts every connection and stops the HTTP server. */
  stop(): Promise<void>;
  /** Starts it again on the same ports and database file. */
  start(): Promise<void>;
  close(): Promise<void>;
}

/**
 * A TCP relay in front of the server. Node's `server.close()` waits for connections that are busy, and an
 * agent's keep-alive long poll keeps one busy forever; the relay cuts every connection at once, so an
 * outage is an outage (the server itself is then really stopped and started again).
 */
class Relay {
  readonly sockets = new Set<Socket>();
  server: Server | null = null;
  port = 0;
  readonly target: number;
  constructor(target: number) {
    this.target = target;
  }
  async listen(port = 0): Promise<void> {
    const server = createServer((client) => {
      const upstream = connect(this.target, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream);
      upstream.pipe(client);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as { port: number }).port;
  }
  async cut(): Promise<void> {
    const server = this.server;
    this.server = null;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    if (server) await new Promise((r) => server.close(() => r(null)));
  }
}

export async function startAgentTestServer(): Promise<AgentTestServer> {
  const dir = await mkdtemp(join(tmpdir(), 'lifeline-agent-srv-'));
  const clock = new OffsetClock();
  const databaseUrl = `file:${join(dir, 'server.db')}`;
  let server: NodeServer | null = await startNodeServer({
    databaseUrl,
    clock,
    logger: silent as never,
  });
  const serverPort = Number(new URL(server.url).port);
  const creds = await bootstrapFirstRun(server.deps.db, clock.now());
  if (!creds) throw new Error('expected a first run');
  const relay = new Relay(serverPort);
  await relay.listen();
  const port = relay.port;
  const url = `http://127.0.0.1:${port}`;

  async function request(method: string, path: string, body?: unknown, token = creds!.apiKey) {
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(url + path, {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    let json: Json = null;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      json = text;
    }
    return { status: res.status, json };
  }

  const self: AgentTestServer = {
    url,
    port,
    dir,
    clock,
    adminKey: creds.apiKey,
    request,
    async enrollmentCode() {
      const res = await request('POST', '/v1/enrollment-codes', {});
      if (res.status !== 201) throw new Error(`code ${res.status} ${JSON.stringify(res.json)}`);
      return res.json.code as string;
    },
    async unlimit(deviceId) {
      const res = await request('PATCH', `/v1/devices/${deviceId}`, {
        simRatePerMinute: 10_000,
        simRatePerDay: 1_000_000,
      });
      if (res.status !== 200) throw new Error(`patch ${res.status} ${JSON.stringify(res.json)}`);
    },
    async sendMessages(n, prefix = 'm') {
      const ids: string[] = [];
      for (let off = 0; off < n; off += 1_000) {
        const count = Math.min(1_000, n - off);
        const res = await request('POST', '/v1/messages/batch', {
          messages: Array.from({ length: count }, (_, i) => ({
            to: `+4477009${String(off + i).padStart(5, '0')}`,
            text: `${prefix} ${off + i}`,
          })),
        });
        if (res.status !== 201) throw new Error(`batch ${res.status} ${JSON.stringify(res.json)}`);
        ids.push(...res.json.messages.map((m: { id: string }) => m.id));
      }
      return ids;
    },
    async message(id) {
      const res = await request('GET', `/v1/messages/${id}`);
      if (res.status !== 200) throw new Error(`message ${res.status}`);
      return res.json;
    },
    async messages(ids) {
      return Promise.all(ids.map((id) => self.message(id)));
    },
    async allMessages() {
      const out: Json[] = [];
      let cursor: string | null = null;
      do {
        const res: { status: number; json: Json } = await request(
          'GET',
          `/v1/messages?limit=500${cursor ? `&cursor=${cursor}` : ''}`,
        );
        if (res.status !== 200) throw new Error(`list ${res.status}`);
        out.push(...res.json.messages);
        cursor = res.json.nextCursor;
      } while (cursor);
      return out;
    },
    async device(id) {
      return (await request('GET', `/v1/devices/${id}`)).json;
    },
    async setHeartbeatInterval(deviceId, ms) {
      const client = createClient({ url: databaseUrl });
      try {
        await client.execute({
          // Below the API's 10 s minimum, so straight into the database.
          sql: 'UPDATE workspaces SET heartbeat_interval_ms = ? WHERE id = (SELECT workspace_id FROM devices WHERE id = ?)',
          args: [ms, deviceId],
        });
      } finally {
        client.close();
      }
    },
    async tick() {
      if (!server) return null;
      return tick(server.deps, clock.now());
    },
    async stop() {
      const s = server;
      server = null;
      await relay.cut();
      await s?.close();
    },
    async start() {
      if (server) return;
      server = await startNodeServer({ databaseUrl, clock, port: serverPort, logger: silent as never });
      await relay.listen(port);
    },
    async close() {
      await self.stop();
      await rm(dir, { recursive: true, force: true });
    },
  };
  return self;
}

/** Polls `check` until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor<T>(
  check: () => Promise<T> | T,
  timeoutMs: number,
  what = 'condition',
  everyMs = 100,
): Promise<NonNullable<T>> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v as NonNullable<T>;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > until) throw new Error(`timed out waiting for ${what} (last: ${String(last)})`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
