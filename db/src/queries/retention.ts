import { sql } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { heartbeats } from '../schema/index.ts';

/** Deletes up to `limit` raw heartbeats received before `before` (bounded, so a tick never stalls). */
export function pruneHeartbeatsQuery(db: Db, before: number, limit: number) {
  return db.run(
    sql`DELETE FROM ${heartbeats} WHERE ${heartbeats.id} IN (SELECT ${heartbeats.id} FROM ${heartbeats} WHERE ${heartbeats.receivedAt} < ${before} LIMIT ${limit})`,
  );
}
