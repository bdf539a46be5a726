import type { HeartbeatWrite } from './heartbeats.ts';

/** What the heartbeat writer thread is started with. */
export interface WriterThreadData {
  databaseUrl: string;
  databaseAuthToken?: string;
  maxBatch: number;
}

export type ToWriterThread = { type: 'write'; id: number; items: HeartbeatWrite[] } | { type: 'close' };

export type FromWriterThread =
  | { type: 'ready' }
  | { type: 'failed'; error: string }
  /** The message `id` is durable, or failed with `error` (none of it written). */
  | { type: 'done'; id: number; error?: string };
