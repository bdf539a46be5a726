import type { Database } from '@lifeline/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { heartbeat } from '../../test/helpers.ts';
import { HeartbeatWriterThread } from './heartbeat-thread.ts';
import type { HeartbeatWrite } from './heartbeats.ts';
import { openIngestTestDatabase } from './test-database.ts';

const T0 = Date.UTC(2026, 10, 1);
let database: Database;
let url: string;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ database, url, close } = await openIngestTestDatabase(['a', 'b', 'c'], T0));
});
afterAll(() => close());

const write = (deviceId: string, seq: number): HeartbeatWrite => ({
  deviceId,
  workspaceId: 'ws',
  receivedAt: T0 + seq * 1_000,
  intervalMs: 30_000,
  body: heartbeat({ runId: 'r', bootId: 'b', seq }),
});

async function stored(deviceId: string, seq: number): Promise<boolean> {
  const rs = await database.client!.execute({
    sql: 'SELECT 1 FROM heartbeats WHERE device_id = ? AND seq = ?',
    args: [deviceId, seq],
  });
  return rs.rows.length === 1;
}

describe('HeartbeatWriterThread', () => {
  it('acknowledges each write only once another connection can read it, and tells who flushed what', async () => {
    const flushed: HeartbeatWrite[] = [];
    const writer = new HeartbeatWriterThread({ databaseUrl: url, maxBatch: 50 }, (items) =>
      flushed.push(...items),
    );
    try {
      const writes = Array.from({ length: 300 }, (_, i) => write(['a', 'b', 'c'][i % 3]!, Math.floor(i / 3)));
      const acks = writes.map(async (w) => {
        await writer.write(w);
        expect(await stored(w.deviceId, w.body.seq)).toBe(true);
      });
      await Promise.all(acks);
      expect(flushed).toHaveLength(300);
      const rs = await database.client!.execute(
        "SELECT last_seq FROM devices WHERE id IN ('a', 'b', 'c') ORDER BY id",
      );
      expect(rs.rows.map((r) => Number(r.last_seq))).toEqual([99, 99, 99]);
    } finally {
      await writer.close();
    }
  });

  it('rejects the writes of a failed flush, writes nothing of them, and goes on with the next ones', async () => {
    const writer = new HeartbeatWriterThread({ databaseUrl: url, maxBatch: 50 });
    try {
      const client = database.client!;
      await client.execute('ALTER TABLE heartbeats RENAME TO heartbeats_away');
      const failed = writer.write(write('a', 1_000));
      await expect(failed).rejects.toThrow(/heartbeat flush failed/);
      await client.execute('ALTER TABLE heartbeats_away RENAME TO heartbeats');
      expect(await stored('a', 1_000)).toBe(false);
      await writer.write(write('a', 1_001));
      expect(await stored('a', 1_001)).toBe(true);
    } finally {
      await writer.close();
    }
  });

  it('fails its writes, and says why, when the thread cannot open the database', async () => {
    const writer = new HeartbeatWriterThread({
      databaseUrl: `${url}/none.db`,
      maxBatch: 50,
    });
    await expect(writer.ready()).rejects.toThrow(/heartbeat writer thread/);
    await expect(writer.write(write('c', 1))).rejects.toThrow();
    await writer.close();
  });

  it('rejects the writes a dead thread held, acknowledges none it did not store, and starts a new one', async () => {
    const writer = new HeartbeatWriterThread({ databaseUrl: url, maxBatch: 20 });
    try {
      await writer.ready();
      const writes = Array.from({ length: 200 }, (_, i) => write('c', 4_000 + i));
      const outcomes = writes.map((w) =>
        writer.write(w).then(
          () => 'acked' as const,
          () => 'rejected' as const,
        ),
      );
      await new Promise((r) => setImmediate(r)); // the first writes are on their way to the thread
      await writer.terminate();
      const settled = await Promise.all(outcomes);
      expect(settled).toContain('rejected');
      for (const [i, outcome] of settled.entries())
        if (outcome === 'acked') expect(await stored('c', 4_000 + i)).toBe(true);
      // The next write gets a new thread.
      await writer.write(write('c', 5_000));
      expect(await stored('c', 5_000)).toBe(true);
    } finally {
      await writer.close();
    }
  });

  it('drains on close: every write made before close is durable when close resolves', async () => {
    const writer = new HeartbeatWriterThread({ databaseUrl: url, maxBatch: 50 });
    const pending = Array.from({ length: 40 }, (_, i) => writer.write(write('b', 2_000 + i)));
    await writer.close();
    await Promise.all(pending);
    for (let i = 0; i < 40; i++) expect(await stored('b', 2_000 + i)).toBe(true);
    await expect(writer.write(write('b', 3_000))).rejects.toThrow(/closed/);
  });
});
