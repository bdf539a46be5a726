/**
 * The scheduler and the Node fetcher against local servers on 127.0.0.1 (so these probes set
 * allowPrivate, except where the SSRF guard itself is under test).
 */
import { lookup } from 'node:dns/promises';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createDb,
  type Database,
  findProbe,
  insertProbe,
  insertWorkspaceQuery,
  listProbeResults,
  newId,
} from '@lifeline/db';
import { migrateDb } from '@lifeline/db/migrate';
import { type ProbeKind, platformRollups } from '@lifeline/db/schema';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { summaryWith } from '../../test/fixtures/status-feeds/documents.ts';
import { createNodeFetcher, nodeFetcher } from './fetch-node.ts';
import { ingestErrorsFor, MinuteErrorCounter, tooManyErrors } from './ingest-errors.ts';
import { ProbeScheduler } from './scheduler.ts';
import { isBlockedAddress } from './ssrf.ts';

const T0 = Date.UTC(2026, 10, 1, 12, 0, 0);
let dir = '';
let database: Database;
let workspaceId = '';
let server: Server;
let base = '';
const hits = new Map<string, number>();
const hanging: ServerResponse[] = [];

function route(req: IncomingMessage, res: ServerResponse) {
  const path = req.url ?? '/';
  hits.set(path, (hits.get(path) ?? 0) + 1);
  if (path === '/ok') return res.end('ok');
  if (path === '/healthz') return res.end('{"ok":true}');
  if (path === '/v1/heartbeats') {
    res.statusCode = 401;
    return res.end('{"error":{"code":"missing_token"}}');
  }
  if (path === '/500') {
    res.statusCode = 500;
    return res.end('boom');
  }
  if (path === '/hang') {
    hanging.push(res);
    return;
  }
  if (path === '/flaky') {
    res.statusCode = (hits.get(path) ?? 0) % 2 === 1 ? 503 : 200;
    return res.end('flaky');
  }
  if (path === '/summary.json')
    return res.end(
      JSON.stringify(summaryWith({ rename: 'WhatsApp', status: 'major_outage', indicator: 'major' })),
    );
  if (path === '/bad-json') return res.end('{"status":');
  if (path === '/redirect-ok') {
    res.writeHead(302, { location: '/ok' });
    return res.end();
  }
  if (path === '/redirect-private') {
    // An upstream feed redirecting to the metadata service or loopback.
    res.writeHead(301, { location: 'http://127.0.0.1:9/secret' });
    return res.end();
  }
  if (path === '/loop') {
    res.writeHead(302, { location: '/loop' });
    return res.end();
  }
  if (path === '/big') return res.end('x'.repeat(2_000_000));
  res.statusCode = 404;
  res.end();
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lifeline-probes-'));
  database = await createDb(`file:${join(dir, 'p.db')}`);
  await migrateDb(database);
  const ws = insertWorkspaceQuery(database.db, { slug: 'probes', name: 'Probes', now: T0 });
  await ws.query;
  workspaceId = ws.row.id;
  server = createServer(route);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const r of hanging) r.destroy();
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
  database.close();
  await rm(dir, { recursive: true, force: true });
});

async function probe(
  kind: ProbeKind,
  config: Record<string, unknown>,
  opts: { allowPrivate?: boolean; timeoutMs?: number; retries?: number } = {},
) {
  return insertProbe(database.db, {
    id: newId('prb', T0),
    workspaceId,
    name: `${kind} ${String(config.url)}`,
    kind,
    componentId: null,
    config,
    intervalMs: 60_000,
    timeoutMs: opts.timeoutMs ?? 2_000,
    retries: opts.retries ?? 0,
    allowPrivate: opts.allowPrivate ?? true,
    enabled: true,
    nextRunAt: T0,
    createdAt: T0,
    updatedAt: T0,
  });
}

const http = (path: string) => ({
  url: `${base}${path}`,
  method: 'GET',
  expectStatus: { min: 200, max: 399 },
});
const disable = (ids: string[]) =>
  Promise.all(ids.map((id) => database.db.run(`UPDATE probes SET enabled = 0 WHERE id = '${id}'`)));

describe('probe scheduler', () => {
  it('runs due probes, records results, follows redirects, and schedules the next run with jitter', async () => {
    const ok = await probe('http', http('/redirect-ok'));
    const down = await probe('http', http('/500'));
    const sp = await probe('statuspage', { url: `${base}/summary.json`, components: ['WhatsApp'] });
    const bad = await probe('statuspage', { url: `${base}/bad-json` });
    const scheduler = new ProbeScheduler({ db: database.db }, { fetcher: nodeFetcher, random: () => 0.5 });
    const report = await scheduler.runDue(T0);
    expect(report).toMatchObject({ claimed: 4, completed: 4, byStatus: { up: 1, down: 2, unknown: 1 } });
    const okRow = await findProbe(database.db, workspaceId, ok.id);
    expect(okRow).toMatchObject({ lastStatus: 'up', lastComponentStatus: 'operational', leaseUntil: null });
    expect(okRow!.nextRunAt).toBe(T0 + 60_000 - 3_000);
    const [okResult] = await listProbeResults(database.db, workspaceId, ok.id, { limit: 5 });
    expect(okResult!.data).toMatchObject({ statusCode: 200, redirects: [`${base}/ok`] });
    expect((await findProbe(database.db, workspaceId, down.id))!.lastStatus).toBe('down');
    expect(await findProbe(database.db, workspaceId, sp.id)).toMatchObject({
      lastStatus: 'down',
      lastComponentStatus: 'major_outage',
    });
    expect(await findProbe(database.db, workspaceId, bad.id)).toMatchObject({
      lastStatus: 'unknown',
      lastComponentStatus: null,
    });
    // Not due again until the next run time.
    expect((await scheduler.runDue(T0 + 1_000)).claimed).toBe(0);
    await disable([ok.id, down.id, sp.id, bad.id]);
  });

  it('retries a failed attempt before reporting', async () => {
    hits.delete('/flaky');
    const p = await probe('http', http('/flaky'), { retries: 2 });
    const scheduler = new ProbeScheduler(
      { db: database.db },
      { fetcher: nodeFetcher, retryDelayMs: () => 10 },
    );
    await scheduler.runDue(T0);
    const [r] = await listProbeResults(database.db, workspaceId, p.id, { limit: 1 });
    expect(r).toMatchObject({ status: 'up', attempts: 2 });
    await disable([p.id]);
  });

  it('a hanging target is cut at the timeout, and a probe still running is not started again', async () => {
    const p = await probe('http', http('/hang'), { timeoutMs: 300 });
    const scheduler = new ProbeScheduler({ db: database.db }, { fetcher: nodeFetcher });
    const first = scheduler.runDue(T0);
    await new Promise((r) => setTimeout(r, 50));
    expect(scheduler.running).toBe(1);
    // The next tick comes while it hangs: nothing is claimed (in process, and by the lease elsewhere).
    expect(await scheduler.runDue(T0 + 120_000)).toMatchObject({ claimed: 0, stillRunning: 1 });
    // Another process within the lease (attempts x (timeout + 2 s) + 1 min) does not claim it either.
    expect(
      await new ProbeScheduler({ db: database.db }, { fetcher: nodeFetcher }).runDue(T0 + 30_000),
    ).toMatchObject({ claimed: 0 });
    const started = performance.now();
    expect(await first).toMatchObject({ completed: 1, byStatus: { down: 1 } });
    expect(performance.now() - started).toBeLessThan(1_000);
    const [r] = await listProbeResults(database.db, workspaceId, p.id, { limit: 1 });
    expect(r!.detail).toContain('timeout');
    expect(hits.get('/hang')).toBe(1);
    await disable([p.id]);
  });

  it('SSRF: without allowPrivate, a 127.0.0.1 target and a redirect to 127.0.0.1 are refused', async () => {
    // The redirecting server must itself be reachable, so this test checks the hop through the fetcher.
    const direct = await probe('http', http('/ok'), { allowPrivate: false });
    const viaRedirect = await nodeFetcher(
      { url: `${base}/redirect-private`, method: 'GET' },
      { signal: AbortSignal.timeout(2_000), allowPrivate: false },
    );
    expect(viaRedirect).toMatchObject({ ok: false, kind: 'refused_private' });
    const scheduler = new ProbeScheduler({ db: database.db }, { fetcher: nodeFetcher });
    await scheduler.runDue(T0);
    expect(await findProbe(database.db, workspaceId, direct.id)).toMatchObject({ lastStatus: 'unknown' });
    const [r] = await listProbeResults(database.db, workspaceId, direct.id, { limit: 1 });
    expect(r!.detail).toContain('private');
    await disable([direct.id]);
  });

  it('SSRF: a public upstream that redirects to 127.0.0.1 is refused on the redirect hop', async () => {
    // 127.0.0.2 stands for a public upstream here (the only change to the guard); 127.0.0.1 stays private.
    const upstream = createServer(route);
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.2', r));
    const port = (upstream.address() as AddressInfo).port;
    const fetcher = createNodeFetcher((ip) => ip !== '127.0.0.2' && isBlockedAddress(ip));
    const signal = () => AbortSignal.timeout(2_000);
    try {
      expect(
        await fetcher(
          { url: `http://127.0.0.2:${port}/ok`, method: 'GET' },
          { signal: signal(), allowPrivate: false },
        ),
      ).toMatchObject({
        ok: true,
      });
      const outcome = await fetcher(
        { url: `http://127.0.0.2:${port}/redirect-private`, method: 'GET' },
        { signal: signal(), allowPrivate: false },
      );
      expect(outcome).toMatchObject({ ok: false, kind: 'refused_private' });
      expect(outcome.ok === false && outcome.message).toContain('127.0.0.1');
      // And so a Statuspage probe of that feed reports unknown, never down.
      const p = await probe(
        'statuspage',
        { url: `http://127.0.0.2:${port}/redirect-private` },
        { allowPrivate: false },
      );
      await new ProbeScheduler({ db: database.db }, { fetcher }).runDue(T0);
      expect(await findProbe(database.db, workspaceId, p.id)).toMatchObject({
        lastStatus: 'unknown',
        lastComponentStatus: null,
      });
      await disable([p.id]);
    } finally {
      upstream.closeAllConnections();
      await new Promise((r) => upstream.close(r));
    }
  });

  it('with allowPrivate set by the admin, the same redirect is followed', async () => {
    const outcome = await nodeFetcher(
      { url: `${base}/redirect-private`, method: 'GET' },
      { signal: AbortSignal.timeout(2_000), allowPrivate: true },
    );
    // Allowed: it followed to 127.0.0.1:9 (closed port): a network error, not a refusal.
    expect(outcome).toMatchObject({ ok: false, kind: 'network' });
  });

  it('a local name, and a name that DNS resolves to a private address, are refused', async () => {
    const port = new URL(base).port;
    const signal = () => AbortSignal.timeout(2_000);
    expect(
      await nodeFetcher(
        { url: `http://localhost.:${port}/ok`, method: 'GET' },
        { signal: signal(), allowPrivate: false },
      ),
    ).toMatchObject({ ok: false, kind: 'refused_private' });
    // This machine's own name resolves to a loopback address (/etc/hosts): refused by the guarded lookup.
    const name = hostname();
    const resolved = await lookup(name).catch(() => null);
    if (!resolved || !isBlockedAddress(resolved.address)) return;
    const outcome = await nodeFetcher(
      { url: `http://${name}:${port}/ok`, method: 'GET' },
      { signal: signal(), allowPrivate: false },
    );
    expect(outcome).toMatchObject({ ok: false, kind: 'refused_private' });
    expect(outcome.ok === false && outcome.message).toContain('resolves to');
  });

  it('redirect loops and oversized bodies fail cleanly', async () => {
    const signal = () => AbortSignal.timeout(2_000);
    expect(
      await nodeFetcher({ url: `${base}/loop`, method: 'GET' }, { signal: signal(), allowPrivate: true }),
    ).toMatchObject({
      ok: false,
      kind: 'too_many_redirects',
    });
    expect(
      await nodeFetcher({ url: `${base}/big`, method: 'GET' }, { signal: signal(), allowPrivate: true }),
    ).toMatchObject({
      ok: false,
      kind: 'too_large',
    });
  });

  it('runs many probes with a bounded concurrency', async () => {
    const ids = [];
    for (let i = 0; i < 30; i++) ids.push((await probe('http', http('/ok'))).id);
    const scheduler = new ProbeScheduler({ db: database.db }, { fetcher: nodeFetcher, concurrency: 4 });
    const report = await scheduler.runDue(T0);
    expect(report).toMatchObject({ claimed: 30, completed: 30, byStatus: { up: 30 } });
    await disable(ids);
  });

  it('a self-probe writes platform minutes: good only when the ingest 5xx share stayed under 1 %', async () => {
    const p = await probe('self', {});
    const counter = ingestErrorsFor(database.db);
    const scheduler = new ProbeScheduler({ db: database.db, publicUrl: base }, { fetcher: nodeFetcher });
    // Minute 1: 200 ingest requests, one 5xx (0.5 %): a good minute.
    for (let i = 0; i < 200; i++) counter.record(T0 - 30_000, i === 0 ? 503 : 202);
    await scheduler.runDue(T0);
    expect(await findProbe(database.db, workspaceId, p.id)).toMatchObject({ lastStatus: 'up' });
    // Minute 2: 10 requests, one 5xx (10 %): the probe answers, but the minute is bad.
    for (let i = 0; i < 10; i++) counter.record(T0 + 30_000, i === 0 ? 500 : 202);
    await scheduler.runDue(T0 + 60_000);
    const row = await findProbe(database.db, workspaceId, p.id);
    expect(row).toMatchObject({ lastStatus: 'degraded', lastComponentStatus: 'degraded_performance' });
    expect(row!.lastDetail).toContain('1 of 10 ingest requests answered 5xx');
    const [day] = await database.db
      .select()
      .from(platformRollups)
      .where(eq(platformRollups.granularity, 'day'));
    expect(day).toMatchObject({ probesOk: 1, probesTotal: 2, requests: 210, errors5xx: 2 });
    await disable([p.id]);
  });

  it('counts ingest minutes once', () => {
    const c = new MinuteErrorCounter();
    c.record(T0 + 1_000, 500);
    c.record(T0 + 2_000, 200);
    expect(tooManyErrors(c.takeLastMinute(T0 + 60_000))).toBe(true);
    expect(c.takeLastMinute(T0 + 60_000)).toMatchObject({ requests: 0, errors5xx: 0 });
    expect(tooManyErrors({ requests: 0, errors5xx: 0 })).toBe(false);
  });
});
