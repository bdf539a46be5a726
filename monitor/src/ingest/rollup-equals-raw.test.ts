import { type Database, heartbeatTimes, scopeKeys, sumUptime } from '@lifeline/db';
import { devices, uptimeRollups } from '@lifeline/db/schema';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { heartbeat } from '../../test/helpers.ts';
import { decomposeRange } from '../domain/buckets.ts';
import { coverageMs } from '../domain/liveness.ts';
import { unionLengthWithin } from '../domain/uptime.ts';
import { createHeartbeatFlush, type HeartbeatWrite } from './heartbeats.ts';
import { openIngestTestDatabase } from './test-database.ts';

const T0 = Date.UTC(2026, 0, 1);
const MIN = 60_000;
let database: Database;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ database, close } = await openIngestTestDatabase([], T0));
});
afterAll(() => close());

/** A device's heartbeat schedule: gaps between heartbeats (mostly on time, sometimes long) and an interval. */
const schedule = fc.record({
  gaps: fc.array(fc.oneof(fc.constant(30_000), fc.integer({ min: 1, max: 40 * MIN })), {
    minLength: 1,
    maxLength: 40,
  }),
  intervalMs: fc.constantFrom(30_000, 60_000),
  batch: fc.integer({ min: 1, max: 7 }),
});

describe('uptime rollups', () => {
  it('agree exactly with the union computed from raw heartbeats, for any minute-aligned window', async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(schedule, { minLength: 1, maxLength: 3 }),
        fc.array(fc.tuple(fc.nat(600), fc.nat(600)), { minLength: 1, maxLength: 5 }),
        async (plans, windows) => {
          const db = database.db;
          await db.delete(uptimeRollups);
          const ids = plans.map((_, i) => `dev_${run}_${i}`);
          run++;
          await db.insert(devices).values(
            ids.map((id) => ({
              id,
              workspaceId: 'ws',
              name: id,
              tokenHash: id,
              enrolledAt: T0,
              heartbeatIntervalMs: 30_000,
            })),
          );
          const flush = createHeartbeatFlush(db);
          // Interleave the devices' heartbeats in receive order, flushed in groups of `batch`.
          const writes: HeartbeatWrite[] = [];
          plans.forEach((p, i) => {
            let t = T0;
            p.gaps.forEach((gap, seq) => {
              t += gap;
              writes.push({
                deviceId: ids[i]!,
                workspaceId: 'ws',
                receivedAt: t,
                intervalMs: p.intervalMs,
                body: heartbeat({ runId: 'r', bootId: 'b', seq }),
              });
            });
          });
          writes.sort((a, b) => a.receivedAt - b.receivedAt);
          const batch = plans[0]!.batch;
          for (let i = 0; i < writes.length; i += batch) await flush(writes.slice(i, i + batch));

          const times = await heartbeatTimes(db, ids, T0, T0 + 10_000 * MIN, coverageMs(60_000));
          for (const [a, b] of windows) {
            const from = T0 + Math.min(a, b) * 2 * MIN;
            const to = T0 + (Math.max(a, b) + 1) * 2 * MIN;
            const rolled = await sumUptime(db, ids.map(scopeKeys.device), decomposeRange(from, to));
            for (const id of ids) {
              const raw = unionLengthWithin(
                times
                  .filter((t) => t.deviceId === id)
                  .map((t) => ({ start: t.receivedAt, end: t.receivedAt + coverageMs(t.intervalMs) })),
                { from, to },
              );
              expect(rolled.get(scopeKeys.device(id))?.onlineMs ?? 0).toBe(raw);
            }
          }
        },
      ),
      { numRuns: 25 },
    );
  });
});
