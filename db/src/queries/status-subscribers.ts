/**
 * Public subscriptions to a workspace's status page, and the announcements they hear of. An announcement
 * is written in the same batch as the change it announces (an incident update, a maintenance window
 * scheduled, started, ended or cancelled), together with one outbox row per confirmed subscriber, so a
 * change is never announced without its notifications or the other way round.
 */
import { and, desc, eq, isNull, lte, ne, or, sql } from 'drizzle-orm';
import type { Db } from '../client.ts';
import { newId } from '../ids.ts';
import {
  maintenances,
  notifications,
  type StatusAnnouncementKind,
  type StatusSubscriber,
  type StatusSubscriberStatus,
  statusAnnouncements,
  statusSubscribers,
} from '../schema/index.ts';

/** A repeated subscribe re-sends the confirmation email at most this often. */
export const CONFIRM_RESEND_MS = 10 * 60_000;
/** How long the outbox keeps trying to deliver a public notification before dead-lettering it. */
export const PUBLIC_NOTIFICATION_DEADLINE_MS = 24 * 3_600_000;

export interface SubscribeResult {
  subscriber: StatusSubscriber;
  /** A confirmation email was queued (a new or pending address, not within the resend window). */
  confirmationQueued: boolean;
}

/**
 * Records an email subscription, pending until the address is confirmed, and queues the confirmation
 * email in the same batch. Idempotent per address: a confirmed address stays confirmed (and hears
 * nothing new), one that had unsubscribed becomes pending again, and a pending one gets the email again
 * unless it was sent in the last ten minutes.
 */
export async function addEmailSubscriber(
  db: Db,
  input: { workspaceId: string; email: string; now: number },
): Promise<SubscribeResult> {
  const email = input.email.trim().toLowerCase();
  const { now } = input;
  await db
    .insert(statusSubscribers)
    .values({
      id: newId('sub', now),
      workspaceId: input.workspaceId,
      channel: 'email',
      email,
      status: 'pending',
      createdAt: now,
    })
    .onConflictDoUpdate({
      target: [statusSubscribers.workspaceId, statusSubscribers.email],
      set: { status: 'pending', unsubscribedAt: null, unsubscribedReason: null, confirmSentAt: null },
      setWhere: sql`${statusSubscribers.status} = 'unsubscribed'`,
    });
  const [row] = await db
    .select()
    .from(statusSubscribers)
    .where(and(eq(statusSubscribers.workspaceId, input.workspaceId), eq(statusSubscribers.email, email)));
  if (!row) throw new Error('subscriber vanished after upsert');
  if (row.status !== 'pending') return { subscriber: row, confirmationQueued: false };
  // One confirmation per resend window, even for two requests at once (the window is in the dedup key).
  const [marked] = await db.batch([
    db
      .update(statusSubscribers)
      .set({ confirmSentAt: now })
      .where(
        and(
          eq(statusSubscribers.id, row.id),
          eq(statusSubscribers.status, 'pending'),
          or(
            isNull(statusSubscribers.confirmSentAt),
            lte(statusSubscribers.confirmSentAt, now - CONFIRM_RESEND_MS),
          ),
        ),
      )
      .returning({ id: statusSubscribers.id }),
    db.run(sql`INSERT INTO notifications (id, workspace_id, audience, subscription_id, channel, kind, group_key,
        dedup_key, status, attempts, due_at, next_attempt_at, deadline_at, created_at)
      SELECT ${newId('ntf', now)}, workspace_id, 'public', id, channel, 'confirm', 'confirm:' || id,
        ${`confirm:${row.id}:${Math.floor(now / CONFIRM_RESEND_MS)}`}, 'pending', 0, ${now}, ${now},
        ${now + PUBLIC_NOTIFICATION_DEADLINE_MS}, ${now}
      FROM status_subscribers WHERE id = ${row.id} AND confirm_sent_at = ${now}
      ON CONFLICT (dedup_key) DO NOTHING`),
  ]);
  return { subscriber: row, confirmationQueued: marked.length > 0 };
}

/**
 * A subscription that needs no confirmation: a browser's push subscription (the visitor granted the
 * permission on the page) or a webhook. Idempotent per endpoint: subscribing again updates the keys or
 * the secret and confirms it again.
 */
export async function addEndpointSubscriber(
  db: Db,
  input: {
    id: string;
    workspaceId: string;
    channel: 'web_push' | 'webhook' | 'slack' | 'discord';
    endpoint: string;
    pushKeys?: { p256dh: string; auth: string };
    secretCiphertext?: string;
    now: number;
  },
): Promise<StatusSubscriber> {
  const fresh = {
    status: 'confirmed' as const,
    pushKeys: input.pushKeys ?? null,
    secretCiphertext: input.secretCiphertext ?? null,
    confirmedAt: input.now,
    unsubscribedAt: null,
    unsubscribedReason: null,
  };
  const [row] = await db
    .insert(statusSubscribers)
    .values({
      id: input.id,
      workspaceId: input.workspaceId,
      channel: input.channel,
      endpoint: input.endpoint,
      createdAt: input.now,
      ...fresh,
    })
    .onConflictDoUpdate({ target: [statusSubscribers.workspaceId, statusSubscribers.endpoint], set: fresh })
    .returning();
  return row!;
}

export type ConfirmOutcome = 'confirmed' | 'already_confirmed' | 'unsubscribed' | 'not_found';

/** Double opt-in: a pending email subscriber becomes confirmed. */
export async function confirmStatusSubscriber(
  db: Db,
  input: { id: string; now: number },
): Promise<ConfirmOutcome> {
  const updated = await db
    .update(statusSubscribers)
    .set({ status: 'confirmed', confirmedAt: input.now })
    .where(and(eq(statusSubscribers.id, input.id), eq(statusSubscribers.status, 'pending')))
    .returning({ id: statusSubscribers.id });
  if (updated.length > 0) return 'confirmed';
  const row = await findStatusSubscriber(db, input.id);
  if (!row) return 'not_found';
  return row.status === 'confirmed' ? 'already_confirmed' : 'unsubscribed';
}

/**
 * Ends a subscription (kept, for the record) and drops what was still queued for it. Returns false if it
 * was not there or had already ended. `workspaceId` scopes an admin's removal to their workspace.
 */
export async function unsubscribeStatusSubscriber(
  db: Db,
  input: { id: string; workspaceId?: string; reason: string; now: number },
): Promise<boolean> {
  const [ended] = await db.batch([
    db
      .update(statusSubscribers)
      .set({ status: 'unsubscribed', unsubscribedAt: input.now, unsubscribedReason: input.reason })
      .where(
        and(
          eq(statusSubscribers.id, input.id),
          input.workspaceId ? eq(statusSubscribers.workspaceId, input.workspaceId) : undefined,
          ne(statusSubscribers.status, 'unsubscribed'),
        ),
      )
      .returning({ id: statusSubscribers.id }),
    db
      .update(notifications)
      .set({ status: 'dropped', reason: input.reason, lockedBy: null, lockedUntil: null })
      .where(
        and(
          eq(notifications.audience, 'public'),
          eq(notifications.subscriptionId, input.id),
          eq(notifications.status, 'pending'),
          input.workspaceId ? eq(notifications.workspaceId, input.workspaceId) : undefined,
        ),
      ),
  ]);
  return ended.length > 0;
}

export async function findStatusSubscriber(
  db: Db,
  id: string,
  workspaceId?: string,
): Promise<StatusSubscriber | undefined> {
  const [row] = await db
    .select()
    .from(statusSubscribers)
    .where(
      and(
        eq(statusSubscribers.id, id),
        workspaceId ? eq(statusSubscribers.workspaceId, workspaceId) : undefined,
      ),
    );
  return row;
}

export async function findStatusSubscriberByEndpoint(
  db: Db,
  workspaceId: string,
  endpoint: string,
): Promise<StatusSubscriber | undefined> {
  const [row] = await db
    .select()
    .from(statusSubscribers)
    .where(and(eq(statusSubscribers.workspaceId, workspaceId), eq(statusSubscribers.endpoint, endpoint)));
  return row;
}

export function findStatusSubscribersByIds(db: Db, ids: string[]): Promise<StatusSubscriber[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return db
    .select()
    .from(statusSubscribers)
    .where(sql`${statusSubscribers.id} IN (SELECT value FROM json_each(${JSON.stringify(ids)}))`);
}

export function listStatusSubscribers(
  db: Db,
  workspaceId: string,
  opts: { limit: number; status?: StatusSubscriberStatus },
) {
  return db
    .select()
    .from(statusSubscribers)
    .where(
      and(
        eq(statusSubscribers.workspaceId, workspaceId),
        opts.status ? eq(statusSubscribers.status, opts.status) : undefined,
      ),
    )
    .orderBy(desc(statusSubscribers.createdAt), desc(statusSubscribers.id))
    .limit(opts.limit);
}

export function countStatusSubscribers(db: Db, workspaceId: string, status: StatusSubscriberStatus) {
  return db.$count(
    statusSubscribers,
    and(eq(statusSubscribers.workspaceId, workspaceId), eq(statusSubscribers.status, status)),
  );
}

// Announcements

export interface AnnouncementInput {
  workspaceId: string;
  kind: StatusAnnouncementKind;
  incidentId?: string;
  incidentUpdateId?: string;
  maintenanceId?: string;
  now: number;
}

/**
 * The statements that announce something: the announcement, then one outbox row per subscriber confirmed
 * at that moment. A maintenance's start, end and cancellation are announced once each: if that
 * announcement exists already, the insert is ignored and so is the fan-out (it selects by the new id).
 */
export function announceQueries(db: Db, input: AnnouncementInput) {
  const id = newId('ann', input.now);
  const { now } = input;
  // An incident update that a guarded statement earlier in the batch did not write is not announced.
  const guard = input.incidentUpdateId
    ? sql`WHERE EXISTS (SELECT 1 FROM incident_updates WHERE id = ${input.incidentUpdateId})`
    : sql`WHERE 1`;
  return [
    db.run(sql`INSERT INTO status_announcements (id, workspace_id, kind, incident_id, incident_update_id,
        maintenance_id, created_at)
      SELECT ${id}, ${input.workspaceId}, ${input.kind}, ${input.incidentId ?? null},
        ${input.incidentUpdateId ?? null}, ${input.maintenanceId ?? null}, ${now} ${guard}
      ON CONFLICT DO NOTHING`),
    db.run(sql`INSERT INTO notifications (id, workspace_id, audience, alert_id, announcement_id, subscription_id,
        channel, kind, group_key, dedup_key, status, attempts, due_at, next_attempt_at, deadline_at, created_at)
      SELECT 'ntf_' || lower(hex(randomblob(13))), s.workspace_id, 'public', NULL, a.id, s.id,
        s.channel, 'announce', a.id, 'pub:' || a.id || ':' || s.id, 'pending', 0, ${now}, ${now},
        ${now + PUBLIC_NOTIFICATION_DEADLINE_MS}, ${now}
      FROM status_announcements a
      JOIN status_subscribers s ON s.workspace_id = a.workspace_id AND s.status = 'confirmed'
      WHERE a.id = ${id}
      ON CONFLICT (dedup_key) DO NOTHING`),
  ] as const;
}

export function findStatusAnnouncementsByIds(db: Db, ids: string[]) {
  if (ids.length === 0) return Promise.resolve([]);
  return db
    .select()
    .from(statusAnnouncements)
    .where(sql`${statusAnnouncements.id} IN (SELECT value FROM json_each(${JSON.stringify(ids)}))`);
}

/**
 * Maintenance windows whose start or end is due to be announced, across workspaces: started (inside the
 * window, not cancelled, start not yet announced) and completed (ended, its start announced, its end not).
 */
export async function dueMaintenanceAnnouncements(
  db: Db,
  now: number,
): Promise<
  { workspaceId: string; maintenanceId: string; kind: 'maintenance_started' | 'maintenance_completed' }[]
> {
  const announced = (kind: StatusAnnouncementKind) =>
    sql`EXISTS (SELECT 1 FROM ${statusAnnouncements} WHERE ${statusAnnouncements.maintenanceId} = ${maintenances.id}
      AND ${statusAnnouncements.kind} = ${kind})`;
  const rows = await db
    .select({
      workspaceId: maintenances.workspaceId,
      maintenanceId: maintenances.id,
      kind: sql<'maintenance_started' | 'maintenance_completed'>`CASE WHEN ${maintenances.endsAt} > ${now}
        THEN 'maintenance_started' ELSE 'maintenance_completed' END`,
    })
    .from(maintenances)
    .where(
      and(
        isNull(maintenances.cancelledAt),
        lte(maintenances.startsAt, now),
        or(
          and(sql`${maintenances.endsAt} > ${now}`, sql`NOT ${announced('maintenance_started')}`),
          and(
            lte(maintenances.endsAt, now),
            announced('maintenance_started'),
            sql`NOT ${announced('maintenance_completed')}`,
          ),
        ),
      ),
    )
    .limit(500);
  return rows;
}

/** How the public notifications of a workspace since `since` fared, per channel. */
export async function publicDeliverySummary(db: Db, workspaceId: string, since: number) {
  const rows = await db
    .select({
      channel: notifications.channel,
      status: notifications.status,
      n: sql<number>`count(*)`,
    })
    .from(notifications)
    .where(
      and(
        eq(notifications.workspaceId, workspaceId),
        eq(notifications.audience, 'public'),
        sql`${notifications.createdAt} >= ${since}`,
      ),
    )
    .groupBy(notifications.channel, notifications.status);
  const by = new Map<
    string,
    {
      channel: StatusSubscriber['channel'];
      delivered: number;
      pending: number;
      dead: number;
      dropped: number;
    }
  >();
  for (const r of rows) {
    // The public audience only ever has the status subscribers' channels.
    const channel = r.channel as StatusSubscriber['channel'];
    const entry = by.get(channel) ?? { channel, delivered: 0, pending: 0, dead: 0, dropped: 0 };
    if (r.status === 'delivered' || r.status === 'pending' || r.status === 'dead' || r.status === 'dropped')
      entry[r.status] += Number(r.n);
    by.set(r.channel, entry);
  }
  return [...by.values()];
}

/** Confirmation emails queued for a workspace since `since` (to cap how fast strangers can make it send). */
export function countConfirmationsSince(db: Db, workspaceId: string, since: number) {
  return db.$count(
    notifications,
    and(
      eq(notifications.workspaceId, workspaceId),
      sql`${notifications.createdAt} >= ${since}`,
      eq(notifications.audience, 'public'),
      eq(notifications.kind, 'confirm'),
    ),
  );
}

/** Subscribers a workspace gained since `since` (any channel, whatever became of them). */
export function countSubscribersSince(db: Db, workspaceId: string, since: number) {
  return db.$count(
    statusSubscribers,
    and(eq(statusSubscribers.workspaceId, workspaceId), sql`${statusSubscribers.createdAt} >= ${since}`),
  );
}
