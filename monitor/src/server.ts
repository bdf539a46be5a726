import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { createDb } from '@lifeline/db';
import { migrateDb } from '@lifeline/db/migrate';
import { createApp } from './app.ts';
import { type Clock, systemClock } from './clock.ts';
import type { Deps } from './deps.ts';
import { createAuthCache } from './http/auth-cache.ts';
import { GroupCommitWriter } from './ingest/group-commit.ts';
import { createHeartbeatFlush } from './ingest/heartbeats.ts';
import { jsonLogger, type Logger } from './logger.ts';
import { WorkNotifier } from './pipeline/notifier.ts';

export interface NodeServerOptions {
  databaseUrl: string;
  databaseAuthToken?: string;
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  clock?: Clock;
  logger?: Logger;
  publicUrl?: string;
}

export interface NodeServer {
  url: string;
  deps: Deps;
  close(): Promise<void>;
}

/** Opens the database, applies migrations and serves the app on Node. Used by `node.ts` and the tests. */
export async function startNodeServer(options: NodeServerOptions): Promise<NodeServer> {
  const clock = options.clock ?? systemClock;
  const database = await createDb(options.databaseUrl, { authToken: options.databaseAuthToken });
  await migrateDb(database);
  const db = database.db;
  const heartbeats = new GroupCommitWriter(createHeartbeatFlush(db), { maxBatch: 1_000 });
  const host = options.host ?? '127.0.0.1';
  const deps: Deps = {
    db,
    clock,
    heartbeats,
    authCache: createAuthCache(30_000, () => Date.now()),
    logger: options.logger ?? jsonLogger('info'),
    notifier: new WorkNotifier(),
    publicUrl: options.publicUrl ?? '',
  };
  const app = createApp(deps);
  const server = serve({ fetch: app.fetch, hostname: host, port: options.port ?? 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('listening', () => resolve());
    server.once('error', reject);
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  if (!deps.publicUrl) deps.publicUrl = url;
  return {
    url,
    deps,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await heartbeats.drain();
      database.close();
    },
  };
}
