import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createDb,
  type Database,
  type Db,
  devicesForObservation,
  endPauseQuery,
  revokeDevice,
  startPauseQuery,
  updateDeviceQuery,
} from '@lifeline/db';
import { migrateDb, migrationsFolder } from '@lifeline/db/migrate';
import { devicePauses, devices, workspaces } from '@lifeline/db/schema';
import { eq } from 'drizzle-orm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { observedPerBucket } from '../domain/observed.ts';
import { mergeIntervals } from './exclusions.ts';
import { workspaceObservedMs } from './observed-time.ts';

const T0 = Date.UTC(2026, 0, 1);
let dir: string;
let database: Database;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lifeline-observed-'));
  database = await createDb(`file:${join(dir, 'o.db')}`);
  await database.client!.execute('PRAGMA synchronous = OFF');
  await migrateDb(database);
});
afterAll(async () => {
  database.close();
  await rm(dir, { recursive: true, force: true });
});

type Op = { kind: 'pause' | 'resume' | 'revoke'; at: number };

/**
 * A device's history as the API would produce it, with times in any order (concurrent requests, clock
 * skew): the writes keep each device's own history in order, and the steps must follow whatever they wrote.
 */
const history = fc.record({
  enrolledAt: fc.integer({ min: 0, max: 10_000 }),
  ops: fc.array(
    fc.record({
      kind: fc.constantFrom<Op['kind']>('pause', 'resume', 'pause', 'resume', 'revoke'),
      at: fc.integer({ min: 0, max: 12_000 }),
    }),
    { maxLength: 8 },
  ),
});

/** Maintenance-like windows, merged as `excludedIntervals` returns them. */
const windows = fc
  .array(fc.tuple(fc.integer({ min: -1_000, max: 13_000 }), fc.integer({ min: 0, max: 3_000 })), {
    maxLength: 4,
  })
  .map((ws) => mergeIntervals(ws.map(([s, len]) => ({ start: T0 + s, end: T0 + s + len }))));

let run = 0;

/** The database's message for a failed statement (drizzle wraps it as the cause). */
async function failure(query: PromiseLike<unknown>): Promise<string> {
  try {
    await query;
  } catch (err) {
    return String((err as { cause?: unknown }).cause ?? err);
  }
  return 'no error';
}

/** Writes the histories through the production queries, interleaving devices in the order `picks` says. */
async function record(db: Db, histories: { enrolledAt: number; ops: Op[] }[], picks: number[]) {
  const workspaceId = `ws_${run++}`;
  await db
    .insert(workspaces)
    .values({ id: workspaceId, slug: workspaceId, name: workspaceId, createdAt: T0 });
  const queues = histories.map((h, i) => [
    { kind: 'enrol' as const, at: h.enrolledAt, id: `${workspaceId}_d${i}` },
    ...h.ops.map((o) => ({ ...o, id: `${workspaceId}_d${i}` })),
  ]);
  const apply = async (e: (typeof queues)[number][number]) => {
    const at = T0 + e.at;
    const pause = { deviceId: e.id, workspaceId, at };
    if (e.kind === 'enrol') {
      await db.insert(devices).values({
        id: e.id,
        workspaceId,
        name: e.id,
        tokenHash: e.id,
        enrolledAt: at,
        heartbeatIntervalMs: 30_000,
      });
    } else if (e.kind === 'pause') {
      // As PATCH /v1/devices/:id {paused: true} does.
      await db.batch([
        updateDeviceQuery(db, workspaceId, e.id, { status: 'paused', pausedAt: at }),
        startPauseQuery(db, pause),
      ]);
    } else if (e.kind === 'resume') {
      await db.batch([
        updateDeviceQuery(db, workspaceId, e.id, { status: 'active', pausedAt: null }),
        endPauseQuery(db, pause),
      ]);
    } else {
      await revokeDevice(db, workspaceId, e.id, at);
    }
  };
  for (const p of picks) {
    const q = queues.filter((x) => x.length > 0);
    if (q.length === 0) break;
    await apply(q[p % q.length]!.shift()!);
  }
  for (const q of queues) for (const e of q) await apply(e);
  return workspaceId;
}

describe('workspace observed time from observation steps', () => {
  it('equals observedPerBucket over the devices, for any histories, ranges, buckets and maintenance', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(history, { maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        fc.integer({ min: 0, max: 14_000 }),
        fc.array(fc.tuple(fc.integer({ min: -2_000, max: 14_000 }), fc.integer({ min: 0, max: 8_000 })), {
          minLength: 1,
          maxLength: 4,
        }),
        windows,
        fc.record({
          first: fc.integer({ min: -2_000, max: 6_000 }),
          size: fc.integer({ min: 1, max: 3_000 }),
          count: fc.integer({ min: 1, max: 12 }),
        }),
        async (histories, picks, nowOffset, rangeSpecs, excluded, grid) => {
          const db = database.db;
          const workspaceId = await record(db, histories, picks);
          const now = T0 + nowOffset;
          const rows = await devicesForObservation(db, workspaceId);

          // Ranges, less maintenance (unobserved for every device, as figures.ts treats it).
          const ranges = rangeSpecs.map(([s, len]) => ({ from: T0 + s, to: T0 + s + len }));
          const withMaintenance = rows.map((d) => ({
            ...d,
            pauses: [...d.pauses, ...excluded.map((i) => ({ pausedAt: i.start, resumedAt: i.end }))],
          }));
          const expected = ranges.map((r) =>
            r.to <= r.from ? 0 : observedPerBucket(withMaintenance, now, [r.from], r.to - r.from)[0],
          );
          expect(await workspaceObservedMs(db, workspaceId, ranges, excluded, now)).toEqual(expected);

          // Buckets, as the series asks for them.
          const starts = Array.from({ length: grid.count }, (_, i) => T0 + grid.first + i * grid.size);
          const buckets = starts.map((s) => ({ from: s, to: s + grid.size }));
          expect(await workspaceObservedMs(db, workspaceId, buckets, [], now)).toEqual(
            observedPerBucket(rows, now, starts, grid.size),
          );
        },
      ),
      { numRuns: 150 },
    );
  });

  it('never counts a negative number of devices, and ends with the devices observed now', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(history, { maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 30 }),
        async (h, p) => {
          const db = database.db;
          const workspaceId = await record(db, h, p);
          const steps = await database.client!.execute({
            sql: 'SELECT devices FROM observation_steps WHERE workspace_id = ? ORDER BY at, id',
            args: [workspaceId],
          });
          const counts = steps.rows.map((r) => Number(r.devices));
          expect(counts.every((c) => c >= 0)).toBe(true);
          const open = await database.client!.execute({
            sql: `SELECT COUNT(*) AS n FROM devices d WHERE d.workspace_id = ? AND d.revoked_at IS NULL
                  AND NOT EXISTS (SELECT 1 FROM device_pauses p WHERE p.device_id = d.id AND p.resumed_at IS NULL)`,
            args: [workspaceId],
          });
          expect(counts.at(-1) ?? 0).toBe(Number(open.rows[0]!.n));
        },
      ),
      { numRuns: 50 },
    );
  });

  it('refuses to rewrite the history the steps were derived from', async () => {
    const db = database.db;
    const workspaceId = await record(db, [{ enrolledAt: 0, ops: [{ kind: 'pause', at: 10 }] }], []);
    const id = `${workspaceId}_d0`;
    await expect(
      failure(
        db
          .update(devices)
          .set({ enrolledAt: T0 + 5 })
          .where(eq(devices.id, id)),
      ),
    ).resolves.toMatch(/written once/);
    await expect(
      failure(
        db
          .update(devicePauses)
          .set({ pausedAt: T0 + 5 })
          .where(eq(devicePauses.deviceId, id)),
      ),
    ).resolves.toMatch(/written once/);
    // Setting a pause's end once, and revoking once, are the transitions the steps follow.
    await db.batch([
      updateDeviceQuery(db, workspaceId, id, { status: 'active', pausedAt: null }),
      endPauseQuery(db, { deviceId: id, workspaceId, at: T0 + 20 }),
    ]);
    expect(await revokeDevice(db, workspaceId, id, T0 + 30)).toMatchObject({ revokedAt: T0 + 30 });
    expect(await workspaceObservedMs(db, workspaceId, [{ from: T0, to: T0 + 100 }], [], T0 + 100)).toEqual([
      10 + 10,
    ]);
  });
});

describe('migration 0003', () => {
  it('backfills the steps of the devices and pauses recorded before it', async () => {
    const local = await createDb(`file:${join(dir, 'backfill.db')}`);
    try {
      const client = local.client!;
      const files = (await readdir(migrationsFolder)).filter((f) => f.endsWith('.sql')).sort();
      const apply = async (file: string) => {
        const text = await readFile(join(migrationsFolder, file), 'utf8');
        for (const statement of text.split('--> statement-breakpoint')) {
          if (statement.trim()) await client.execute(statement);
        }
      };
      const before = files.filter((f) => f < '0003');
      const rest = files.filter((f) => f >= '0003');
      for (const f of before) await apply(f);
      await client.execute(
        `INSERT INTO workspaces (id, slug, name, created_at) VALUES ('w', 'w', 'w', ${T0}), ('v', 'v', 'v', ${T0})`,
      );
      const device = (id: string, ws: string, enrolled: number, revoked: number | null) =>
        client.execute({
          sql: `INSERT INTO devices (id, workspace_id, name, token_hash, enrolled_at, revoked_at, heartbeat_interval_ms)
                VALUES (?, ?, ?, ?, ?, ?, 30000)`,
          args: [id, ws, id, id, T0 + enrolled, revoked === null ? null : T0 + revoked],
        });
      const pause = (id: string, ws: string, from: number, to: number | null) =>
        client.execute({
          sql: 'INSERT INTO device_pauses (device_id, workspace_id, paused_at, resumed_at) VALUES (?, ?, ?, ?)',
          args: [id, ws, T0 + from, to === null ? null : T0 + to],
        });
      await device('a', 'w', 0, null);
      await device('b', 'w', 500, 4_000);
      await device('c', 'w', 100, 3_000);
      await device('d', 'w', 2_000, null);
      await device('e', 'v', 0, null);
      await pause('a', 'w', 1_000, 1_500);
      await pause('a', 'w', 6_000, null);
      await pause('c', 'w', 2_500, null); // revoked while paused
      await pause('b', 'w', 600, 900);
      await pause('e', 'v', 10, 20);
      for (const f of rest) await apply(f);

      const rows = await devicesForObservation(local.db, 'w');
      const now = T0 + 8_000;
      const starts = Array.from({ length: 9 }, (_, i) => T0 - 1_000 + i * 1_000);
      expect(
        await workspaceObservedMs(
          local.db,
          'w',
          starts.map((s) => ({ from: s, to: s + 1_000 })),
          [],
          now,
        ),
      ).toEqual(observedPerBucket(rows, now, starts, 1_000));
      expect(await workspaceObservedMs(local.db, 'v', [{ from: T0, to: now }], [], now)).toEqual([
        8_000 - 10,
      ]);
    } finally {
      local.close();
    }
  });
});

/** Kept exact only while the triggers exist: a migration that rebuilds `devices` or `device_pauses` drops them. */
describe('observation step triggers', () => {
  it('exist after every migration', async () => {
    const { rows } = await database.client!.execute(
      "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE '%observation%' ORDER BY name",
    );
    expect(rows.map((r) => r.name)).toEqual([
      'device_pauses_observation_paused',
      'device_pauses_observation_resumed',
      'device_pauses_observation_written_once',
      'devices_observation_enrolled',
      'devices_observation_revoked',
      'devices_observation_written_once',
      'observation_steps_running_sums',
    ]);
  });
});
