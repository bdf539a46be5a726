/** `sumRollupsByRange` against a plain sum over the rows, for random rows, scopes and signed ranges. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Database } from '../client.ts';
import { migrateDb } from '../migrate.ts';
import type { RangePart, SignedParts } from './rollups.ts';
import { sumRollupsByRange } from './rollups.ts';

const GRANULARITIES = ['minute', 'hour', 'day'] as const;
const SCOPES = ['a', 'b', 'c'];

let dir = '';
let database: Database;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lifeline-rollups-'));
  database = await createDb(`file:${join(dir, 'r.db')}`);
  await migrateDb(database);
});
afterAll(async () => {
  database.close();
  await rm(dir, { recursive: true, force: true });
});

const row = fc.record({
  scope: fc.constantFrom(...SCOPES),
  granularity: fc.constantFrom(...GRANULARITIES),
  bucket: fc.integer({ min: 0, max: 40 }),
  online: fc.integer({ min: 0, max: 1_000 }),
  beats: fc.integer({ min: 0, max: 50 }),
});

/** Non-overlapping parts: every other interval between sorted cut points, each of some granularity. */
const signedParts: fc.Arbitrary<SignedParts> = fc
  .record({
    cuts: fc.uniqueArray(fc.integer({ min: 0, max: 42 }), { minLength: 0, maxLength: 6 }),
    grans: fc.array(fc.constantFrom(...GRANULARITIES), { minLength: 3, maxLength: 3 }),
    sign: fc.constantFrom(1 as const, -1 as const),
  })
  .map(({ cuts, grans, sign }) => {
    const sorted = [...cuts].sort((x, y) => x - y);
    const parts: RangePart[] = [];
    for (let i = 0; i + 1 < sorted.length; i += 2)
      parts.push({ granularity: grans[(i / 2) % 3]!, from: sorted[i]!, to: sorted[i + 1]! });
    return { parts, sign };
  });

describe('sumRollupsByRange', () => {
  it('sums each range as the signed sums of its parts, per scope, in one query', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uniqueArray(row, { selector: (r) => `${r.scope}:${r.granularity}:${r.bucket}`, maxLength: 60 }),
        fc.array(fc.array(signedParts, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 4 }),
        async (rows, ranges) => {
          const client = database.client!;
          await client.execute('DELETE FROM uptime_rollups');
          for (const r of rows)
            await client.execute({
              sql: 'INSERT INTO uptime_rollups (scope_key, granularity, bucket_start, online_ms, heartbeats) VALUES (?, ?, ?, ?, ?)',
              args: [r.scope, r.granularity, r.bucket, r.online, r.beats],
            });
          const got = await sumRollupsByRange(database.db, 'uptime', SCOPES, ranges);
          for (const scope of SCOPES) {
            const mine = rows.filter((r) => r.scope === scope);
            const expected = ranges.map((range) =>
              [(r: (typeof rows)[0]) => r.online, (r: (typeof rows)[0]) => r.beats].map((value) =>
                range.reduce(
                  (total, s) =>
                    total +
                    s.sign *
                      mine
                        .filter((r) =>
                          s.parts.some(
                            (p) => p.granularity === r.granularity && p.from <= r.bucket && r.bucket < p.to,
                          ),
                        )
                        .reduce((a, r) => a + value(r), 0),
                  0,
                ),
              ),
            );
            const zero = expected.every((r) => r.every((v) => v === 0));
            // A scope with no row in any part is absent; otherwise every range is there.
            expect(got.get(scope) ?? (zero ? expected : undefined)).toEqual(expected);
          }
        },
      ),
      { numRuns: 60 },
    );
  }, 60_000);
});
