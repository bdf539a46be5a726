/**
 * Reliability queries at fleet scale: the 90-day summary (every layer for 1 h … 90 d) and the 90-day daily
 * uptime series, for a workspace of 10,000 devices with a year of rollups, beside the same queries for a
 * 100-device workspace in the same database, and `/healthz` as the baseline of the same run. Target:
 * p50 < 50 ms at 10,000 devices, and the cost should barely grow from 100 to 10,000 devices.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultComponentsQueries, devicesForObservation, insertWorkspaceQuery } from '@lifeline/db';
import { ManualClock } from '@lifeline/monitor/clock';
import { startNodeServer } from '@lifeline/monitor/server';
import { observedPerBucket } from '../../monitor/src/domain/observed.ts';
import { workspaceObservedMs } from '../../monitor/src/reliability/observed-time.ts';
import { createApiKey } from '../../monitor/src/routes/api-keys.ts';
import { type Bench, type Check, type Timing, timeRuns } from './harness.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const MIN = 60_000;

export const reliabilityBench: Bench = {
  name: 'reliability',
  summary: '90-day summary and daily series: 100 vs 10,000 devices with a year of rollups',
  async run({ quick, log }) {
    const dir = await mkdtemp(join(tmpdir(), 'lifeline-bench-rel-'));
    const now = Date.UTC(2026, 10, 20, 12, 0, 0);
    const clock = new ManualClock(now);
    const server = await startNodeServer({
      databaseUrl: `file:${join(dir, 'rel.db')}`,
      clock,
      logger: silent,
    });
    const db = server.deps.db;
    const client = (
      db as unknown as { $client: { execute(sql: string, args?: unknown[]): Promise<unknown> } }
    ).$client;
    try {
      const fleets = quick ? [100, 1_000] : [100, 10_000];
      const keys: Record<number, string> = {};
      const workspaceIds: Record<number, string> = {};
      const seedStart = performance.now();
      for (const size of fleets) {
        const ws = insertWorkspaceQuery(db, {
          slug: `fleet-${size}`,
          name: `${size} devices`,
          now: now - 400 * DAY,
        });
        const key = await createApiKey(db, { workspaceId: ws.row.id, name: 'bench', now });
        await db.batch([ws.query, key.query, ...defaultComponentsQueries(db, ws.row.id, now)]);
        keys[size] = key.key;
        workspaceIds[size] = ws.row.id;
        await seed(client, ws.row.id, size, now, quick);
      }
      log(
        `  seeded ${fleets.join(' and ')} devices with a year of rollups in ${((performance.now() - seedStart) / 1000).toFixed(1)} s`,
      );

      const get = (path: string, key?: string) => async () => {
        const res = await fetch(
          server.url + path,
          key ? { headers: { authorization: `Bearer ${key}` } } : {},
        );
        if (res.status !== 200) throw new Error(`${path}: ${res.status} ${await res.text()}`);
        await res.arrayBuffer();
      };
      const n = quick ? 10 : 60;
      const baseline = await timeRuns(n, get('/healthz'));
      const rows: [string, Timing][] = [['GET /healthz (baseline)', baseline]];
      const results: Record<number, { summary: Timing; series: Timing }> = {};
      for (const size of fleets) {
        const summary = await timeRuns(n, get('/v1/reliability/summary', keys[size]));
        const series = await timeRuns(n, get('/v1/reliability/uptime?layer=devices&bucket=day', keys[size]));
        results[size] = { summary, series };
        rows.push([`summary, ${size} devices`, summary], [`90 daily bars, ${size} devices`, series]);
      }
      log(
        `  ${'query'.padEnd(32)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)} ${'x baseline'.padStart(11)}`,
      );
      for (const [name, t] of rows) {
        log(
          `  ${name.padEnd(32)} ${t.p50.toFixed(2).padStart(8)} ${t.p99.toFixed(2).padStart(8)} ${(t.p50 / baseline.p50).toFixed(1).padStart(11)}`,
        );
      }
      const big = fleets[fleets.length - 1]!;
      const small = fleets[0]!;
      const growth = results[big]!.summary.p50 / results[small]!.summary.p50;
      log(`  summary cost at ${big} / at ${small} devices: ${growth.toFixed(2)}x`);
      // The figures are exact: the observation steps give what summing over every device gives.
      const wsId = workspaceIds[big]!;
      const days90 = Array.from({ length: 90 }, (_, i) => Math.floor(now / DAY) * DAY - (89 - i) * DAY);
      const fromSteps = await workspaceObservedMs(
        db,
        wsId,
        days90.map((d) => ({ from: d, to: d + DAY })),
        [],
        now,
      );
      const perDevice = observedPerBucket(await devicesForObservation(db, wsId), now, days90, DAY);
      const exact = fromSteps.every((v, i) => v === perDevice[i]);
      const checks: Check[] = [
        {
          name: 'summary p50 < 50 ms',
          passed: results[big]!.summary.p50 < 50,
          detail: `${results[big]!.summary.p50.toFixed(1)} ms`,
        },
        {
          name: 'series p50 < 50 ms',
          passed: results[big]!.series.p50 < 50,
          detail: `${results[big]!.series.p50.toFixed(1)} ms`,
        },
        { name: 'barely grows (< 3x from 100 devices)', passed: growth < 3, detail: `${growth.toFixed(2)}x` },
        {
          name: `observed time per day equals the per-device sum (${big} devices, 90 days)`,
          passed: exact,
          detail: exact
            ? 'equal'
            : `first difference on day ${fromSteps.findIndex((v, i) => v !== perDevice[i])}`,
        },
      ];
      for (const c of checks) log(`  ${c.passed ? 'PASS' : 'FAIL'}  ${c.name}: ${c.detail}`);
      return { name: 'reliability', checks };
    } finally {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
  },
};

const silent = { info() {}, warn() {}, error() {} };

/**
 * A year of a fleet and its rollups, generated in SQLite itself (recursive CTEs): devices enrolled over the
 * first month of the year, one in ten paused for a day at some point since, one in fifty revoked; their
 * observation steps come from the same triggers as in production. Rollups per workspace and per carrier at
 * day, hour (35 days) and minute (8 days) granularity, and per device at day granularity (the rows a fleet
 * this size really accumulates).
 */
async function seed(
  client: { execute(sql: string | { sql: string; args: unknown[] }): Promise<unknown> },
  workspaceId: string,
  size: number,
  now: number,
  quick: boolean,
) {
  const exec = (sql: string, args: unknown[] = []) => client.execute({ sql, args });
  const enrolled = now - 365 * DAY;
  // In time order, as production writes them (a change written before later ones costs an update of each).
  await exec(
    `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
     INSERT INTO devices (id, workspace_id, name, token_hash, enrolled_at, heartbeat_interval_ms, last_heartbeat_at)
     SELECT ? || '_d' || i, ?, 'phone ' || i, ? || '_h' || i, ? + i * ? / ?, 30000, ? FROM n`,
    [size, workspaceId, workspaceId, workspaceId, enrolled, 30 * DAY, size, now - 10_000],
  );
  await exec(
    `WITH RECURSIVE n(i) AS (SELECT 10 UNION ALL SELECT i + 10 FROM n WHERE i + 10 <= ?)
     INSERT INTO device_pauses (device_id, workspace_id, paused_at, resumed_at)
     SELECT ? || '_d' || i, ?, ? + i * ? / ?, ? + i * ? / ? + ? FROM n`,
    [size, workspaceId, workspaceId, now - 300 * DAY, 290 * DAY, size, now - 300 * DAY, 290 * DAY, size, DAY],
  );
  await exec(
    `UPDATE devices SET status = 'revoked', revoked_at = ? + CAST(substr(id, length(?) + 3) AS INTEGER) * ? / ?
     WHERE workspace_id = ? AND CAST(substr(id, length(?) + 3) AS INTEGER) % 50 = 7`,
    [now - 200 * DAY, workspaceId, 190 * DAY, size, workspaceId, workspaceId],
  );
  const dayStart = Math.floor(now / DAY) * DAY;
  const scopes = [
    `ws:${workspaceId}`,
    ...['A', 'B', 'C', 'D', 'E'].map((c) => `carrier:${workspaceId}:Carrier ${c}`),
  ];
  for (const [granularity, step, count] of [
    ['day', DAY, 365],
    ['hour', HOUR, 35 * 24],
    ['minute', MIN, 8 * 1440],
  ] as const) {
    for (const scope of scopes) {
      const online = scope.startsWith('ws:') ? Math.round(step * size * 0.99) : 0;
      await exec(
        `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ? - 1)
         INSERT INTO uptime_rollups (scope_key, granularity, bucket_start, online_ms, heartbeats)
         SELECT ?, ?, ? - i * ?, ?, ? FROM n`,
        [count, scope, granularity, dayStart - step, step, online, Math.round((step / 30_000) * size)],
      );
      await exec(
        `WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < ? - 1)
         INSERT INTO delivery_rollups (scope_key, granularity, bucket_start, delivered, failed, undelivered, delivery_unknown, expired, sent_unconfirmed)
         SELECT ?, ?, ? - i * ?, 970 + (i % 30), 10, 10, 5, 5, 0 FROM n`,
        [count, scope, granularity, dayStart - step, step],
      );
    }
  }
  if (!quick) {
    await exec(
      `WITH RECURSIVE d(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM d WHERE i < ?),
                      n(j) AS (SELECT 0 UNION ALL SELECT j + 1 FROM n WHERE j < 364)
       INSERT INTO uptime_rollups (scope_key, granularity, bucket_start, online_ms, heartbeats)
       SELECT 'dev:' || ? || '_d' || i, 'day', ? - j * ?, ?, 2880 FROM d, n`,
      [size, workspaceId, dayStart - DAY, DAY, Math.round(DAY * 0.99)],
    );
  }
}
