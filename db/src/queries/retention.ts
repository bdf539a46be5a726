import { sql } from 'drizzle-orm';
import type { Db } from '../client.ts';
import {
  heartbeats,
  notificationAttempts,
  notifications,
  statusAnnouncements,
  statusSubscribers,
} from '../schema/index.ts';

/** Deletes up to `limit` raw heartbeats received before `before` (bounded, so a tick never stalls). */
export function pruneHeartbeatsQuery(db: Db, before: number, limit: number) {
  return db.run(
    sql`DELETE FROM ${heartbeats} WHERE ${heartbeats.id} IN (SELECT ${heartbeats.id} FROM ${heartbeats} WHERE ${heartbeats.receivedAt} < ${before} LIMIT ${limit})`,
  );
}

/**
 * The settled part of the alerts outbox older than `before` (never a pending row: nothing queued is ever
 * dropped by retention), their attempts, and status announcements of that age.
 */
export function pruneOutboxQueries(db: Db, before: number, limit: number) {
  return [
    db.run(
      sql`DELETE FROM ${notifications} WHERE ${notifications.id} IN (SELECT ${notifications.id} FROM ${notifications}
        WHERE ${notifications.createdAt} < ${before} AND ${notifications.status} != 'pending' LIMIT ${limit})`,
    ),
    db.run(
      sql`DELETE FROM ${notificationAttempts} WHERE ${notificationAttempts.id} IN (SELECT ${notificationAttempts.id}
        FROM ${notificationAttempts} WHERE ${notificationAttempts.at} < ${before} LIMIT ${limit})`,
    ),
    db.run(
      sql`DELETE FROM ${statusAnnouncements} WHERE ${statusAnnouncements.id} IN (SELECT ${statusAnnouncements.id}
        FROM ${statusAnnouncements} WHERE ${statusAnnouncements.createdAt} < ${before}
        AND ${statusAnnouncements.createdAt} < (SELECT COALESCE(MIN(${notifications.createdAt}), ${before})
          FROM ${notifications} WHERE ${notifications.status} = 'pending' AND ${notifications.audience} = 'public')
        LIMIT ${limit})`,
    ),
  ];
}

/** Email addresses that were never confirmed, `before` (a stranger's address is not kept for long). */
export function pruneUnconfirmedSubscribersQuery(db: Db, before: number, limit: number) {
  return db.run(
    sql`DELETE FROM ${statusSubscribers} WHERE ${statusSubscribers.id} IN (SELECT ${statusSubscribers.id}
      FROM ${statusSubscribers} WHERE ${statusSubscribers.status} = 'pending' AND ${statusSubscribers.createdAt} < ${before}
      AND NOT EXISTS (SELECT 1 FROM ${notifications} WHERE ${notifications.subscriptionId} = ${statusSubscribers.id}
        AND ${notifications.status} = 'pending')
      LIMIT ${limit})`,
  );
}
