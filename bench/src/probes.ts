/**
 * Probes: 1,000 probes all due in the same minute (HTTP checks, Statuspage v2 summaries of the real GitHub
 * capture, RSS feeds; 1 % of targets hang until the probe's timeout, 2 % answer 503) run by one scheduler
 * tick against local targets with 20–120 ms of latency, each result recorded in the database. Baseline
 * of the same run: the same 1,000 requests fetched with the same concurrency and no scheduler, database
 * or evaluation. Reported: wall time (target: within the minute), the ratio to the baseline, and the
 * scheduler's memory (RSS and heap before, peak during, and after).
 */
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDb, insertWorkspaceQuery, listProbes, newId } from '@lifeline/db';
import { migrateDb } from '@lifeline/db/migrate';
import { probes } from '@lifeline/db/schema';
import { nodeFetcher } from '../../monitor/src/probes/fetch-node.ts';
import { ProbeScheduler } from '../../monitor/src/probes/scheduler.ts';
import type { Bench, Check } from './harness.ts';

const NOW = Date.UTC(2026, 10, 20, 12, 0, 0);
const CONCURRENCY = 50;
const TIMEOUT_MS = 5_000;
const MiB = 2 ** 20;

function rssFeed(n: number) {
  const items = Array.from(
    { length: 10 },
    (
      _,
      i,
    ) => `<item><title>Incident ${n}-${i}</title><description>&lt;strong&gt;Resolved&lt;/strong&gt; - fixed</description>
<pubDate>${new Date(NOW - i * 3_600_000).toUTCString()}</pubDate><link>https://status.example.com/i/${i}</link></item>`,
  ).join('\n');
  return `<?xml version="1.0"?><rss version="2.0"><channel><title>Status</title>${items}</channel></rss>`;
}

async function startTargets() {
  const summary = await readFile(
    new URL('../../monitor/test/fixtures/status-feeds/statuspage-summary-operational.json', import.meta.url),
    'utf8',
  );
  const feed = rssFeed(1);
  const hanging: ServerResponse[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.searchParams.has('hang')) {
      hanging.push(res);
      return;
    }
    const delay = Number(url.searchParams.get('delay') ?? 0);
    setTimeout(() => {
      if (url.searchParams.has('fail')) {
        res.statusCode = 503;
        return res.end('unavailable');
      }
      if (url.pathname === '/api/v2/summary.json') {
        res.setHeader('content-type', 'application/json');
        return res.end(summary);
      }
      if (url.pathname === '/feed.rss') return res.end(feed);
      res.end('{"ok":true}');
    }, delay);
  });
  server.maxConnections = 10_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', 1_024, r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    base,
    async close() {
      for (const r of hanging) r.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/** The probe of index i: its kind and target (deterministic, so the baseline fetches the same URLs). */
function spec(i: number, base: string) {
  const delay = 20 + ((i * 37) % 100);
  const q = `?delay=${delay}&n=${i}${i % 100 === 7 ? '&hang=1' : ''}${i % 50 === 3 ? '&fail=1' : ''}`;
  if (i % 10 < 5)
    return {
      kind: 'http' as const,
      url: `${base}/health${q}`,
      config: {
        url: `${base}/health${q}`,
        method: 'GET',
        expectStatus: { min: 200, max: 399 },
        keyword: 'ok',
      },
    };
  if (i % 10 < 8)
    return {
      kind: 'statuspage' as const,
      url: `${base}/api/v2/summary.json${q}`,
      config: { url: `${base}/api/v2/summary.json${q}`, components: ['API Requests'] },
    };
  return {
    kind: 'feed' as const,
    url: `${base}/feed.rss${q}`,
    config: { url: `${base}/feed.rss${q}`, match: 'Incident' },
  };
}

async function baseline(urls: string[]) {
  const cpu = process.cpuUsage();
  const started = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < urls.length) {
      const url = urls[next++]!;
      await nodeFetcher(
        { url, method: 'GET' },
        { signal: AbortSignal.timeout(TIMEOUT_MS), allowPrivate: true },
      );
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return { ms: performance.now() - started, cpuMs: cpuMs(process.cpuUsage(cpu)) };
}

const cpuMs = (u: NodeJS.CpuUsage) => (u.user + u.system) / 1000;

function memory() {
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed };
}

export const probesBench: Bench = {
  name: 'probes',
  summary:
    '1,000 probes due in the same minute against local targets: wall time, ratio to bare fetches, memory',
  async run({ quick, log }) {
    const count = quick ? 100 : 1_000;
    const dir = await mkdtemp(join(tmpdir(), 'lifeline-bench-probes-'));
    const targets = await startTargets();
    const database = await createDb(`file:${join(dir, 'probes.db')}`);
    try {
      await migrateDb(database);
      const { db } = database;
      const ws = insertWorkspaceQuery(db, { slug: 'bench', name: 'Bench', now: NOW });
      await ws.query;
      const specs = Array.from({ length: count }, (_, i) => spec(i, targets.base));
      const rows = specs.map((s, i) => ({
        id: newId('prb', NOW + i),
        workspaceId: ws.row.id,
        name: `probe ${i}`,
        kind: s.kind,
        componentId: null,
        config: s.config,
        intervalMs: 60_000,
        timeoutMs: TIMEOUT_MS,
        retries: 0,
        allowPrivate: true,
        enabled: true,
        nextRunAt: NOW,
        createdAt: NOW,
        updatedAt: NOW,
      }));
      for (let i = 0; i < rows.length; i += 100) await db.insert(probes).values(rows.slice(i, i + 100));

      const bare = await baseline(specs.map((s) => s.url));
      const bareMs = bare.ms;
      log(
        `  baseline: ${count} bare fetches, ${CONCURRENCY} at a time: ${(bareMs / 1000).toFixed(2)} s, ${bare.cpuMs.toFixed(0)} ms CPU (this process, targets included)`,
      );

      (globalThis as { gc?: () => void }).gc?.();
      const before = memory();
      let peak = { ...before };
      const sampler = setInterval(() => {
        const m = memory();
        peak = { rss: Math.max(peak.rss, m.rss), heap: Math.max(peak.heap, m.heap) };
      }, 20);
      const scheduler = new ProbeScheduler({ db }, { fetcher: nodeFetcher, concurrency: CONCURRENCY });
      const cpu = process.cpuUsage();
      const started = performance.now();
      const report = await scheduler.runDue(NOW);
      const tickMs = performance.now() - started;
      const tickCpuMs = cpuMs(process.cpuUsage(cpu));
      clearInterval(sampler);
      const after = memory();
      const again = await scheduler.runDue(NOW + 1_000);
      const rowsAfter = await listProbes(db, ws.row.id, { limit: count });
      const recorded = rowsAfter.filter((p) => p.lastCheckedAt === NOW);
      const timedOut = rowsAfter.filter((p) => p.lastDetail?.includes('timeout')).length;

      const mib = (b: number) => `${(b / MiB).toFixed(1)} MiB`;
      log(
        `  tick: ${report.completed}/${report.claimed} probes in ${(tickMs / 1000).toFixed(2)} s (${(tickMs / bareMs).toFixed(3)}× the bare fetches' wall time: both wait on the same slowest targets), ${tickCpuMs.toFixed(0)} ms CPU (${(tickCpuMs / bare.cpuMs).toFixed(2)}× the bare fetches: claim, evaluation, one batch per result); up ${report.byStatus.up}, degraded ${report.byStatus.degraded}, down ${report.byStatus.down}, unknown ${report.byStatus.unknown}`,
      );
      log(
        `  memory: RSS ${mib(before.rss)} -> peak ${mib(peak.rss)} (+${mib(peak.rss - before.rss)}) -> ${mib(after.rss)}; heap ${mib(before.heap)} -> peak ${mib(peak.heap)} (+${mib(peak.heap - before.heap)}) -> ${mib(after.heap)}`,
      );
      const hangs = specs.filter((_, i) => i % 100 === 7).length;
      const checks: Check[] = [
        {
          name: 'all due probes complete within the minute',
          passed: report.completed === count && recorded.length === count && tickMs < 60_000,
          detail: `${report.completed} of ${count} run, ${recorded.length} recorded, in ${(tickMs / 1000).toFixed(2)} s`,
        },
        {
          name: 'hanging targets are cut at the timeout, not piled up',
          passed: timedOut === hangs && again.claimed === 0,
          detail: `${hangs} hanging targets, ${timedOut} cut at the ${TIMEOUT_MS / 1000} s timeout; a second tick claimed ${again.claimed}`,
        },
        {
          name: 'scheduler memory stays bounded',
          passed: peak.heap - before.heap < 256 * MiB,
          detail: `heap +${mib(peak.heap - before.heap)}, RSS +${mib(peak.rss - before.rss)} at peak for ${count} probes`,
        },
      ];
      for (const c of checks) log(`  ${c.passed ? 'PASS' : 'FAIL'}  ${c.name}: ${c.detail}`);
      return { name: 'probes', checks };
    } finally {
      database.close();
      await targets.close();
      await rm(dir, { recursive: true, force: true });
    }
  },
};
