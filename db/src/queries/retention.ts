import { sql } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { idTimePrefix } from '../ids.ts';
import {
  heartbeats,
  messageEvents,
  messages,
  notificationAttempts,
  notifications,
  statusAnnouncements,
  statusSubscribers,
  webhookDeliveries,
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

/**
 * Customers' messages created and last changed before `before` (their recipients and texts are personal
 * data), with their events, oldest first, `limit` at a time: message ids sort by creation time, so this
 * reads the primary key from its start. A message a queue or a phone still holds is kept, and so is one
 * that changed since (a message scheduled weeks ahead is kept that long after it went).
 */
export function pruneMessagesQueries(db: Db, before: number, limit: number) {
  const doomed = sql`SELECT ${messages.id} FROM ${messages}
    WHERE ${messages.id} < ${idTimePrefix('msg', before)} AND ${messages.purpose} = 'customer'
      AND ${messages.status} NOT IN ('queued', 'leased', 'submitted') AND ${messages.updatedAt} < ${before}
    ORDER BY ${messages.id} LIMIT ${limit}`;
  return [
    db.run(sql`DELETE FROM ${messageEvents} WHERE ${messageEvents.messageId} IN (${doomed})`),
    db.run(sql`DELETE FROM ${messages} WHERE ${messages.id} IN (${doomed})`),
  ];
}

/** Settled webhook deliveries (delivered or dead) last attempted before `before`; never a pending one. */
export function pruneWebhookDeliveriesQuery(db: Db, before: number, limit: number) {
  return db.run(
    sql`DELETE FROM ${webhookDeliveries} WHERE ${webhookDeliveries.id} IN (SELECT ${webhookDeliveries.id}
      FROM ${webhookDeliveries} WHERE ${webhookDeliveries.status} IN ('delivered', 'dead')
        AND ${webhookDeliveries.nextAttemptAt} < ${before} LIMIT ${limit})`,
  );
}
