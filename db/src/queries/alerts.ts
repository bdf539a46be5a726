import { and, desc, eq, gt, inArray, isNull, lt, lte, ne, or, sql } from 'drizzle-orm';
import type { Db } from '../client.ts';
import {
  type Alert,
  type AlertRule,
  type AlertSubscription,
  alertEvents,
  alertRules,
  alertSubscriptions,
  alerts,
  instanceSettings,
  type Notification,
  notificationAttempts,
  notifications,
  type Silence,
  silences,
} from '../schema/index.ts';

// Rules

export function listAlertRules(db: Db, workspaceId: string): Promise<AlertRule[]> {
  return db
    .select()
    .from(alertRules)
    .where(eq(alertRules.workspaceId, workspaceId))
    .orderBy(alertRules.createdAt);
}

export async function findAlertRule(db: Db, workspaceId: string, id: string): Promise<AlertRule | undefined> {
  const [row] = await db
    .select()
    .from(alertRules)
    .where(and(eq(alertRules.workspaceId, workspaceId), eq(alertRules.id, id)));
  return row;
}

export function insertAlertRulesQuery(db: Db, rows: AlertRule[]) {
  return db.insert(alertRules).values(rows);
}

export async function updateAlertRule(
  db: Db,
  workspaceId: string,
  id: string,
  patch: Partial<
    Pick<AlertRule, 'name' | 'severity' | 'forMs' | 'repeatIntervalMs' | 'params' | 'enabled' | 'public'>
  > & {
    updatedAt: number;
  },
): Promise<AlertRule | undefined> {
  const [row] = await db
    .update(alertRules)
    .set(patch)
    .where(and(eq(alertRules.workspaceId, workspaceId), eq(alertRules.id, id)))
    .returning();
  return row;
}

/** Workspaces with at least one enabled rule: those the tick evaluates. */
export async function workspacesWithAlertRules(db: Db): Promise<string[]> {
  const rows = await db
    .selectDistinct({ id: alertRules.workspaceId })
    .from(alertRules)
    .where(eq(alertRules.enabled, true));
  return rows.map((r) => r.id);
}

// Alerts

export function openAlerts(db: Db, workspaceId: string): Promise<Alert[]> {
  return db
    .select()
    .from(alerts)
    .where(and(eq(alerts.workspaceId, workspaceId), ne(alerts.state, 'resolved')));
}

export function upsertAlertQuery(db: Db, row: Alert) {
  const { id, ...rest } = row;
  return db.insert(alerts).values(row).onConflictDoUpdate({ target: alerts.id, set: rest });
}

export function deleteAlertQuery(db: Db, id: string) {
  return db.delete(alerts).where(eq(alerts.id, id));
}

export function insertAlertEventQuery(db: Db, row: typeof alertEvents.$inferInsert) {
  return db.insert(alertEvents).values(row);
}

export async function listAlerts(
  db: Db,
  workspaceId: string,
  opts: { state?: Alert['state']; before?: number; limit: number },
) {
  const rows = await db
    .select()
    .from(alerts)
    .where(
      and(
        eq(alerts.workspaceId, workspaceId),
        opts.state ? eq(alerts.state, opts.state) : undefined,
        opts.before !== undefined ? lt(alerts.startedAt, opts.before) : undefined,
      ),
    )
    .orderBy(desc(alerts.startedAt), desc(alerts.id))
    .limit(opts.limit);
  if (rows.length === 0) return [];
  const events = await db
    .select()
    .from(alertEvents)
    .where(
      inArray(
        alertEvents.alertId,
        rows.map((r) => r.id),
      ),
    )
    .orderBy(alertEvents.at);
  return rows.map((r) => ({ ...r, timeline: events.filter((e) => e.alertId === r.id) }));
}

export async function findAlert(db: Db, workspaceId: string, id: string) {
  const [row] = await db
    .select()
    .from(alerts)
    .where(and(eq(alerts.workspaceId, workspaceId), eq(alerts.id, id)));
  return row;
}

/** One alert with its timeline, oldest event first. */
export async function findAlertWithTimeline(db: Db, workspaceId: string, id: string) {
  const alert = await findAlert(db, workspaceId, id);
  if (!alert) return undefined;
  const timeline = await db
    .select()
    .from(alertEvents)
    .where(and(eq(alertEvents.workspaceId, workspaceId), eq(alertEvents.alertId, id)))
    .orderBy(alertEvents.at);
  return { ...alert, timeline };
}

// Subscriptions

export function listAlertSubscriptions(db: Db, workspaceId: string): Promise<AlertSubscription[]> {
  return db
    .select()
    .from(alertSubscriptions)
    .where(and(eq(alertSubscriptions.workspaceId, workspaceId), isNull(alertSubscriptions.removedAt)))
    .orderBy(alertSubscriptions.createdAt);
}

export function findAlertSubscriptionsByIds(db: Db, ids: string[]): Promise<AlertSubscription[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return db
    .select()
    .from(alertSubscriptions)
    .where(sql`${alertSubscriptions.id} IN (SELECT value FROM json_each(${JSON.stringify(ids)}))`);
}

export async function insertAlertSubscription(db: Db, row: AlertSubscription): Promise<void> {
  await db.insert(alertSubscriptions).values(row);
}

export async function updateAlertSubscription(
  db: Db,
  workspaceId: string,
  id: string,
  patch: Partial<
    Pick<
      AlertSubscription,
      'label' | 'severities' | 'ruleIds' | 'deviceIds' | 'delayMs' | 'unacknowledgedOnly' | 'enabled'
    >
  >,
): Promise<AlertSubscription | undefined> {
  const [row] = await db
    .update(alertSubscriptions)
    .set(patch)
    .where(
      and(
        eq(alertSubscriptions.workspaceId, workspaceId),
        eq(alertSubscriptions.id, id),
        isNull(alertSubscriptions.removedAt),
      ),
    )
    .returning();
  return row;
}

/** Removes a subscription (kept for history) and drops what was still pending for it. */
export async function removeAlertSubscription(
  db: Db,
  input: { workspaceId?: string; id: string; reason: string; now: number },
): Promise<boolean> {
  const [removed, _dropped] = await db.batch([
    db
      .update(alertSubscriptions)
      .set({ removedAt: input.now, removedReason: input.reason, enabled: false })
      .where(
        and(
          eq(alertSubscriptions.id, input.id),
          input.workspaceId ? eq(alertSubscriptions.workspaceId, input.workspaceId) : undefined,
          isNull(alertSubscriptions.removedAt),
        ),
      )
      .returning({ id: alertSubscriptions.id }),
    db
      .update(notifications)
      .set({ status: 'dropped', reason: input.reason, lockedBy: null, lockedUntil: null })
      .where(and(eq(notifications.subscriptionId, input.id), eq(notifications.status, 'pending'))),
  ]);
  return removed.length > 0;
}

// Silences

export function activeSilences(db: Db, workspaceId: string, now: number): Promise<Silence[]> {
  return db
    .select()
    .from(silences)
    .where(and(eq(silences.workspaceId, workspaceId), lte(silences.startsAt, now), gt(silences.endsAt, now)));
}

export function listSilences(db: Db, workspaceId: string, now: number): Promise<Silence[]> {
  return db
    .select()
    .from(silences)
    .where(and(eq(silences.workspaceId, workspaceId), gt(silences.endsAt, now)))
    .orderBy(silences.startsAt);
}

export async function insertSilence(db: Db, row: Silence): Promise<void> {
  await db.insert(silences).values(row);
}

/** Ends a silence now (kept for history). */
export async function expireSilence(db: Db, workspaceId: string, id: string, now: number): Promise<boolean> {
  const rows = await db
    .update(silences)
    .set({ endsAt: now })
    .where(and(eq(silences.workspaceId, workspaceId), eq(silences.id, id), gt(silences.endsAt, now)))
    .returning({ id: silences.id });
  return rows.length > 0;
}

// Notifications (the outbox)

export function insertNotificationsQuery(db: Db, rows: (typeof notifications.$inferInsert)[]) {
  return db.insert(notifications).values(rows).onConflictDoNothing({ target: notifications.dedupKey });
}

/** Leases due notifications to `owner` until `now + leaseMs`, in one statement. */
export function claimDueNotifications(
  db: Db,
  input: { owner: string; now: number; leaseMs: number; limit: number; audience: Notification['audience'] },
): Promise<Notification[]> {
  const n = notifications;
  const unlocked = or(isNull(n.lockedUntil), lt(n.lockedUntil, input.now));
  const due = sql`SELECT ${n.id} FROM ${n} WHERE ${n.status} = 'pending' AND ${n.audience} = ${input.audience}
    AND ${n.nextAttemptAt} <= ${input.now}
    AND (${n.lockedUntil} IS NULL OR ${n.lockedUntil} < ${input.now})
    ORDER BY ${n.nextAttemptAt} LIMIT ${input.limit}`;
  return db
    .update(n)
    .set({ lockedBy: input.owner, lockedUntil: input.now + input.leaseMs })
    .where(and(sql`${n.id} IN (${due})`, eq(n.status, 'pending'), unlocked))
    .returning();
}

/** When the next pending notification is due (for the dispatcher's timer), or null. */
export async function nextNotificationDueAt(db: Db): Promise<number | null> {
  const [row] = await db
    .select({ at: sql<number | null>`MIN(${notifications.nextAttemptAt})` })
    .from(notifications)
    .where(eq(notifications.status, 'pending'));
  return row?.at ?? null;
}

export type NotificationOutcome =
  | { status: 'delivered'; at: number; messageId: string; statusCode: number | null }
  | { status: 'pending'; nextAttemptAt: number; messageId: string; statusCode: number | null; error: string }
  | { status: 'dead' | 'dropped'; messageId: string | null; statusCode: number | null; error: string }
  | { status: 'release' };

/** Settles notifications this owner holds; rows whose lease was lost are left alone. */
export function settleNotificationsQuery(db: Db, owner: string, ids: string[], outcome: NotificationOutcome) {
  const n = notifications;
  const base = { lockedBy: null, lockedUntil: null };
  const set =
    outcome.status === 'release'
      ? base
      : outcome.status === 'delivered'
        ? {
            ...base,
            status: 'delivered' as const,
            deliveredAt: outcome.at,
            messageId: outcome.messageId,
            lastStatusCode: outcome.statusCode,
            lastError: null,
            attempts: sql`${n.attempts} + 1`,
          }
        : outcome.status === 'pending'
          ? {
              ...base,
              nextAttemptAt: outcome.nextAttemptAt,
              messageId: outcome.messageId,
              lastStatusCode: outcome.statusCode,
              lastError: outcome.error,
              attempts: sql`${n.attempts} + 1`,
            }
          : {
              ...base,
              status: outcome.status,
              // Settled without an attempt of its own: keep the message its earlier attempts went out in.
              ...(outcome.messageId ? { messageId: outcome.messageId } : {}),
              lastStatusCode: outcome.statusCode,
              lastError: outcome.error,
              reason: outcome.status === 'dropped' ? outcome.error : null,
              attempts: outcome.messageId ? sql`${n.attempts} + 1` : n.attempts,
            };
  return db
    .update(n)
    .set(set)
    .where(
      and(
        sql`${n.id} IN (SELECT value FROM json_each(${JSON.stringify(ids)}))`,
        eq(n.lockedBy, owner),
        eq(n.status, 'pending'),
      ),
    );
}

export function insertNotificationAttemptQuery(db: Db, row: typeof notificationAttempts.$inferInsert) {
  return db.insert(notificationAttempts).values(row);
}

/** An outbox row of an alert (audience `admin`): it always names its alert. */
export type AlertNotification = Notification & { alertId: string; kind: 'fire' | 'remind' | 'resolve' };

/** A workspace's alert notifications (not its public announcements), newest first. */
export function listNotifications(
  db: Db,
  workspaceId: string,
  opts: { status?: Notification['status']; alertId?: string; limit: number; before?: number },
): Promise<AlertNotification[]> {
  return db
    .select()
    .from(notifications)
    .where(
      and(
        eq(notifications.workspaceId, workspaceId),
        eq(notifications.audience, 'admin'),
        opts.status ? eq(notifications.status, opts.status) : undefined,
        opts.alertId ? eq(notifications.alertId, opts.alertId) : undefined,
        opts.before !== undefined ? lt(notifications.createdAt, opts.before) : undefined,
      ),
    )
    .orderBy(desc(notifications.createdAt), desc(notifications.id))
    .limit(opts.limit) as Promise<AlertNotification[]>;
}

export function listNotificationAttempts(db: Db, workspaceId: string, messageIds: string[]) {
  if (messageIds.length === 0) return Promise.resolve([]);
  return db
    .select()
    .from(notificationAttempts)
    .where(
      and(
        eq(notificationAttempts.workspaceId, workspaceId),
        sql`${notificationAttempts.messageId} IN (SELECT value FROM json_each(${JSON.stringify(messageIds)}))`,
      ),
    )
    .orderBy(notificationAttempts.at);
}

// Instance settings

export async function getInstanceSetting(db: Db, name: string): Promise<string | undefined> {
  const [row] = await db.select().from(instanceSettings).where(eq(instanceSettings.name, name));
  return row?.value;
}

/** Sets a value unless one is there already (two processes starting at once keep the first); returns the stored one. */
export async function ensureInstanceSetting(
  db: Db,
  name: string,
  value: string,
  now: number,
): Promise<string> {
  await db.insert(instanceSettings).values({ name, value, createdAt: now }).onConflictDoNothing();
  return (await getInstanceSetting(db, name))!;
}

/** For each alert, the subscriptions that were told it fired (a delivered `fire` notification). */
export async function subscriptionsToldOfFiring(
  db: Db,
  alertIds: string[],
): Promise<Map<string, Set<string>>> {
  const out = new Map<string, Set<string>>();
  if (alertIds.length === 0) return out;
  const rows = await db
    .selectDistinct({ alertId: notifications.alertId, subscriptionId: notifications.subscriptionId })
    .from(notifications)
    .where(
      and(
        sql`${notifications.alertId} IN (SELECT value FROM json_each(${JSON.stringify(alertIds)}))`,
        eq(notifications.kind, 'fire'),
        eq(notifications.status, 'delivered'),
      ),
    );
  for (const r of rows) {
    if (r.alertId === null) continue;
    const set = out.get(r.alertId) ?? new Set<string>();
    set.add(r.subscriptionId);
    out.set(r.alertId, set);
  }
  return out;
}

export function findAlertsByIds(db: Db, ids: string[]): Promise<Alert[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return db
    .select()
    .from(alerts)
    .where(sql`${alerts.id} IN (SELECT value FROM json_each(${JSON.stringify(ids)}))`);
}

/** Marks an open alert acknowledged (once: a second acknowledgement changes nothing) with its timeline event. */
export function acknowledgeAlertQueries(
  db: Db,
  input: { workspaceId: string; alertId: string; at: number; by: string; eventId: string },
) {
  return [
    db
      .update(alerts)
      .set({ acknowledgedAt: input.at, acknowledgedBy: input.by })
      .where(
        and(
          eq(alerts.workspaceId, input.workspaceId),
          eq(alerts.id, input.alertId),
          sql`${alerts.state} != 'resolved'`,
          sql`${alerts.acknowledgedAt} IS NULL`,
        ),
      )
      .returning({ id: alerts.id }),
    db.run(
      sql`INSERT INTO ${alertEvents} (id, alert_id, workspace_id, kind, at, detail)
          SELECT ${input.eventId}, ${input.alertId}, ${input.workspaceId}, 'acknowledge', ${input.at}, ${input.by}
          WHERE EXISTS (SELECT 1 FROM ${alerts} WHERE ${alerts.id} = ${input.alertId}
            AND ${alerts.acknowledgedAt} = ${input.at} AND ${alerts.acknowledgedBy} = ${input.by})`,
    ),
  ] as const;
}
