import type { Database } from '@lifeline/db';
import { devices, heartbeats } from '@lifeline/db/schema';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { heartbeat } from '../../test/helpers.ts';
import { createHeartbeatFlush, type HeartbeatWrite } from './heartbeats.ts';
import { openIngestTestDatabase } from './test-database.ts';

const T0 = Date.UTC(2026, 10, 1);
let database: Database;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ database, close } = await openIngestTestDatabase(['a', 'b'], T0));
});
afterAll(() => close());

const write = (deviceId: string, seq: number, receivedAt: number, percent: number): HeartbeatWrite => ({
  deviceId,
  workspaceId: 'ws',
  receivedAt,
  intervalMs: 30_000,
  body: heartbeat({
    runId: 'r',
    bootId: 'b',
    seq,
    battery: { percent, charging: false, temperatureC: 30 },
    lastError: { message: 'caf\u00e9 \ud83d\ude00 lone \ud800 end' },
  }),
});

describe('heartbeat flush', () => {
  it("keeps the latest heartbeat's body as the device's health, even when an older one is flushed after it", async () => {
    const flush = createHeartbeatFlush(database.db);
    await flush([write('a', 1, T0 + 1_000, 50), write('b', 1, T0 + 1_000, 40)]);
    await flush([write('a', 3, T0 + 3_000, 70)]);
    await flush([write('a', 2, T0 + 2_000, 60)]); // received earlier, committed later
    const [a] = await database.db.select().from(devices).where(eq(devices.id, 'a'));
    expect(a?.lastSeq).toBe(3);
    expect(a?.lastHeartbeatAt).toBe(T0 + 3_000);
    expect(a?.prevHeartbeatAt).toBe(T0 + 2_000);
    expect(a?.lastHealth).toMatchObject({ seq: 3, battery: { percent: 70 } });
    const [b] = await database.db.select().from(devices).where(eq(devices.id, 'b'));
    expect(b?.lastHealth).toMatchObject({ seq: 1, battery: { percent: 40 } });
  });

  it('stores each body whole as its payload, any unicode included', async () => {
    const rows = await database.db.select().from(heartbeats).where(eq(heartbeats.deviceId, 'a'));
    expect(rows.map((r) => r.seq).sort()).toEqual([1, 2, 3]);
    const payload = rows.find((r) => r.seq === 3)?.payload as {
      lastError: { message: string };
      battery: unknown;
    };
    expect(payload.battery).toEqual({ percent: 70, charging: false, temperatureC: 30 });
    expect(payload.lastError.message).toBe('caf\u00e9 \ud83d\ude00 lone \ud800 end');
  });
});
