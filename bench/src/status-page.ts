/**
 * The public status page at size: server render time of `/` for a workspace with 50 components (Platform,
 * Device connectivity, 40 carriers, 8 upstream) and 90 days of rollups and incidents, beside `/healthz` on
 * the same server in the same run (the baseline); the HTML's size; and the JavaScript the page ships
 * (every script it loads and every chunk those import, gzipped), which must be none on a page without
 * charts. Targets: p50 < 30 ms, HTML < 60 KB before compression, JS < 100 KB gzip including chart.js.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { createIncident, ensureComponentQuery, insertWorkspaceQuery, scopeKeys } from '@lifeline/db';
import { ManualClock } from '@lifeline/monitor/clock';
import { startNodeServer } from '@lifeline/monitor/server';
import { statusReadModelFor } from '../../monitor/src/site/read-model.ts';
import { type Bench, type Check, timeRuns } from './harness.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const CARRIERS = 40;
const UPSTREAM = 8;
const DEVICES = 20;

type Exec = (sql: string, args?: unknown[]) => Promise<unknown>;

/**
 * 50 components, 20 phones, 90 days of daily (and 35 of hourly) rollups, a dozen incidents. Figures vary
 * from day to day as real ones do (99.3-99.4 % delivered, 99.97-100 % uptime), with a bad day every 45 days
 * per carrier (each on its own days) and every 17 days for the phones. Each extra bad day adds one bar
 * cell (about 80 bytes of HTML).
 */
async function seed(db: Parameters<typeof ensureComponentQuery>[0], exec: Exec, now: number) {
  const ws = insertWorkspaceQuery(db, { slug: 'default', name: 'Bench Taxis', now: now - 120 * DAY });
  const quiet = insertWorkspaceQuery(db, { slug: 'quiet', name: 'Quiet', now: now - 120 * DAY });
  const id = ws.row.id;
  const carriers = Array.from({ length: CARRIERS }, (_, i) => `Carrier ${String(i + 1).padStart(2, '0')}`);
  const comps = [
    ensureComponentQuery(db, {
      workspaceId: id,
      name: 'Platform',
      layer: 'platform',
      source: 'platform',
      position: 0,
      now: now - 100 * DAY,
    }),
    ensureComponentQuery(db, {
      workspaceId: id,
      name: 'Device connectivity',
      layer: 'devices',
      source: 'devices',
      position: 10,
      now: now - 100 * DAY,
    }),
    ...carriers.map((c, i) =>
      ensureComponentQuery(db, {
        workspaceId: id,
        name: c,
        layer: 'carrier',
        source: `carrier:${c}`,
        position: 100 + i,
        now: now - 100 * DAY,
      }),
    ),
    ...Array.from({ length: UPSTREAM }, (_, i) =>
      ensureComponentQuery(db, {
        workspaceId: id,
        name: `Upstream ${i + 1}`,
        layer: 'upstream',
        source: `probe:upstream-${i + 1}`,
        position: 200 + i,
        now: now - 100 * DAY,
      }),
    ),
    ensureComponentQuery(db, {
      workspaceId: quiet.row.id,
      name: 'Platform',
      layer: 'platform',
      source: 'platform',
      position: 0,
      now,
    }),
  ];
  await db.batch([ws.query, quiet.query, ...(comps as [(typeof comps)[0]])]);
  await exec(
    `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
     INSERT INTO devices (id, workspace_id, name, token_hash, enrolled_at, heartbeat_interval_ms, last_heartbeat_at)
     SELECT ? || '_d' || i, ?, 'phone ' || i, ? || '_h' || i, ?, 30000, ? FROM n`,
    [DEVICES, id, id, id, now - 100 * DAY, now - 10_000],
  );
  const today = Math.floor(now / DAY) * DAY;
  const scopes = [scopeKeys.workspace(id), ...carriers.map((c) => scopeKeys.carrier(id, c))];
  for (const [granularity, step, count] of [
    ['day', DAY, 90],
    ['hour', HOUR, 35 * 24],
  ] as const) {
    // Every bucket up to now, today's included (days: 89 before today, and today).
    const first = Math.floor(now / step) * step - (count - 1) * step;
    await exec(
      `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ? - 1)
       INSERT INTO uptime_rollups (scope_key, granularity, bucket_start, online_ms, heartbeats)
       SELECT ?, ?, ? + i * ?, ? - (i % 7) * ? - CASE WHEN i % 17 = 3 THEN ? ELSE 0 END, ? FROM n`,
      [
        count,
        scopes[0],
        granularity,
        first,
        step,
        step * DEVICES,
        step / 1_000,
        step * 2,
        (step / 30_000) * DEVICES,
      ],
    );
    for (const [k, scope] of scopes.entries()) {
      // Each carrier has a bad day (or hour) every 45, on different days from the other carriers.
      await exec(
        `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ? - 1)
         INSERT INTO delivery_rollups (scope_key, granularity, bucket_start, delivered, failed, undelivered, delivery_unknown, expired, sent_unconfirmed)
         SELECT ?, ?, ? + i * ?, 990 + (i % 10), CASE WHEN (i + ?) % 45 = 0 THEN 60 ELSE 3 END, 2, 1, 0, 0 FROM n`,
        [count, scope, granularity, first, step, k],
      );
    }
  }
  void today;
  // A dozen incidents over the 90 days, each on a few components, resolved after a few hours.
  const all = (await exec(`SELECT id FROM components WHERE workspace_id = ?`, [id])) as {
    rows: { id: string }[];
  };
  const ids = all.rows.map((r) => String(r.id));
  for (let i = 0; i < 12; i++) {
    const at = now - (i * 7 + 1) * DAY;
    const inc = await createIncident(db, {
      workspaceId: id,
      name: `Delays on some carriers (${i + 1})`,
      status: 'investigating',
      impact: i % 3 === 0 ? 'major' : 'minor',
      componentIds: ids.slice((i * 3) % 40, ((i * 3) % 40) + 3),
      body: 'We are investigating slower delivery reports from some carriers.',
      now: at,
    });
    await exec(`UPDATE incidents SET status = 'resolved', resolved_at = ? WHERE id = ?`, [
      at + 3 * HOUR,
      inc.id,
    ]);
  }
}

/** Every script the page loads and every chunk those import (static or dynamic), gzipped. */
async function javascriptOf(base: string, html: string) {
  const seen = new Map<string, number>();
  const queue = [...html.matchAll(/<script\b[^>]*\bsrc="([^"]+)"/g)].map((m) => new URL(m[1]!, base).href);
  while (queue.length) {
    const url = queue.shift()!;
    if (seen.has(url)) continue;
    const body = Buffer.from(await (await fetch(url)).arrayBuffer());
    seen.set(url, gzipSync(body, { level: 9 }).length);
    for (const m of body.toString('utf8').matchAll(/["'`](\.{1,2}\/[\w./-]+\.js)["'`]/g))
      queue.push(new URL(m[1]!, url).href);
  }
  return { files: seen.size, gzipBytes: [...seen.values()].reduce((a, b) => a + b, 0) };
}

export const statusPageBench: Bench = {
  name: 'status-page',
  summary: 'public page render (50 components, 90 days), HTML size and JavaScript shipped',
  async run({ quick, log }) {
    const dir = await mkdtemp(join(tmpdir(), 'lifeline-bench-page-'));
    const now = Date.UTC(2026, 10, 20, 12, 0, 0);
    const server = await startNodeServer({
      databaseUrl: `file:${join(dir, 'page.db')}`,
      clock: new ManualClock(now),
      logger: { info() {}, warn() {}, error() {} },
      site: true,
    });
    const client = (
      server.deps.db as unknown as {
        $client: { execute(q: { sql: string; args: unknown[] }): Promise<unknown> };
      }
    ).$client;
    const exec: Exec = (sql, args = []) => client.execute({ sql, args });
    try {
      await seed(server.deps.db, exec, now);
      const page = await fetch(`${server.url}/`);
      const html = await page.text();
      if (page.status !== 200) throw new Error(`GET / answered ${page.status}: ${html.slice(0, 300)}`);
      const components = (html.match(/class="component"/g) ?? []).length;
      const model = statusReadModelFor(server.deps);
      const wsId = (await model.defaultWorkspace())!.id;
      const get =
        (path: string, cold = false) =>
        async () => {
          // Cold: the summary cache dropped first, so the figures are computed for this request.
          if (cold) model.invalidate(wsId);
          const res = await fetch(server.url + path);
          if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
          await res.arrayBuffer();
        };
      const n = quick ? 20 : 200;
      const baseline = await timeRuns(n, get('/healthz'));
      const render = await timeRuns(n, get('/', true));
      const warm = await timeRuns(n, get('/'));
      const json = await timeRuns(n, get('/api/v2/summary.json', true));
      const history = await timeRuns(n, get('/history'));
      log(
        `  ${'request'.padEnd(34)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'x baseline'.padStart(11)}`,
      );
      for (const [name, t] of [
        ['GET /healthz (baseline)', baseline],
        [`GET / (${components} components)`, render],
        ['GET / (summary cached, < 5 s old)', warm],
        ['GET /api/v2/summary.json', json],
        ['GET /history', history],
      ] as const) {
        log(
          `  ${name.padEnd(34)} ${t.p50.toFixed(2).padStart(8)} ${t.p99.toFixed(2).padStart(8)} ${(t.p50 / baseline.p50).toFixed(1).padStart(11)}`,
        );
      }
      const htmlBytes = Buffer.byteLength(html);
      const js = await javascriptOf(server.url, html);
      const quietHtml = await (await fetch(`${server.url}/s/quiet`)).text();
      const quietJs = await javascriptOf(server.url, quietHtml);
      const historyJs = await javascriptOf(server.url, await (await fetch(`${server.url}/history`)).text());
      log(
        `  HTML: ${(htmlBytes / 1024).toFixed(1)} KB (${(gzipSync(html).length / 1024).toFixed(1)} KB gzip)`,
      );
      log(
        `  JavaScript: ${js.files} files, ${(js.gzipBytes / 1024).toFixed(1)} KB gzip; on a page without charts: ${quietJs.files + historyJs.files} files`,
      );
      const checks: Check[] = [
        { name: '50 components rendered', passed: components === 50, detail: `${components}` },
        { name: 'render p50 < 30 ms', passed: render.p50 < 30, detail: `${render.p50.toFixed(1)} ms` },
        {
          name: 'HTML < 60 KB',
          passed: htmlBytes < 60 * 1024,
          detail: `${(htmlBytes / 1024).toFixed(1)} KB`,
        },
        {
          name: 'JS < 100 KB gzip',
          passed: js.gzipBytes < 100 * 1024 && js.files > 0,
          detail: `${(js.gzipBytes / 1024).toFixed(1)} KB in ${js.files} files`,
        },
        {
          name: 'no JS without charts',
          passed: quietJs.files === 0 && historyJs.files === 0,
          detail: `${quietJs.files} on /s/quiet, ${historyJs.files} on /history`,
        },
      ];
      for (const c of checks) log(`  ${c.passed ? 'PASS' : 'FAIL'}  ${c.name}: ${c.detail}`);
      return { name: 'status-page', checks };
    } finally {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
  },
};
