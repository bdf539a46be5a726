/**
 * The heartbeat writer thread (see `heartbeat-thread.ts`): its own connection to the database, one
 * group-commit writer, and an answer per message once its items are durable.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createDb } from '@lifeline/db';
import { GroupCommitWriter } from './group-commit.ts';
import type { FromWriterThread, ToWriterThread, WriterThreadData } from './heartbeat-thread-protocol.ts';
import { createHeartbeatFlush } from './heartbeats.ts';

const port = parentPort!;
const data = workerData as WriterThreadData;
const post = (msg: FromWriterThread) => port.postMessage(msg);

try {
  const database = await createDb(data.databaseUrl, { authToken: data.databaseAuthToken });
  const writer = new GroupCommitWriter(createHeartbeatFlush(database.db), { maxBatch: data.maxBatch });
  port.on('message', async (msg: ToWriterThread) => {
    if (msg.type === 'close') {
      await writer.drain();
      database.close();
      port.close();
      return;
    }
    try {
      await Promise.all(msg.items.map((item) => writer.write(item)));
      post({ type: 'done', id: msg.id });
    } catch (err) {
      post({ type: 'done', id: msg.id, error: err instanceof Error ? err.message : String(err) });
    }
  });
  post({ type: 'ready' });
} catch (err) {
  post({ type: 'failed', error: err instanceof Error ? err.message : String(err) });
}
