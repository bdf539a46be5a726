/**
 * Delivers the alerts outbox: leases due notifications, groups them per subscription and rule (one
 * message for "5 devices offline"), sends each group on its channel, and settles every row — delivered,
 * retried with backoff, dead-lettered at its deadline, or dropped when it became moot (a delayed email
 * for an alert that has since resolved or, for an escalation, been acknowledged; a subscription that is
 * gone). A push subscription answered 404/410 is removed. Every attempt is recorded. A failing channel only delays its own rows.
 */
import { createHash } from 'node:crypto';
import {
  type AlertNotification,
  claimDueNotifications,
  type Db,
  findAlertSubscriptionsByIds,
  findAlertsByIds,
  insertNotificationAttemptQuery,
  newId,
  removeAlertSubscription,
  settleNotificationsQuery,
} from '@lifeline/db';
import type { Alert, AlertSubscription, Notification } from '@lifeline/db/schema';
import { sendChatWebhook } from '../channels/chat.ts';
import type { EmailChannel } from '../channels/email.ts';
import type { DeliveryResult } from '../channels/result.ts';
import type { createWebPushChannel } from '../channels/web-push.ts';
import { sendSignedWebhook } from '../channels/webhook.ts';
import {
  DEFAULT_GROUPING,
  type GroupingPolicy,
  planGroups,
  type QueuedNotification,
} from '../domain/grouping.ts';
import { settleAttemptQuery, settleUnsentQuery } from './settle.ts';

export interface DispatchDeps {
  db: Db;
  webPush: ReturnType<typeof createWebPushChannel> | null;
  email: EmailChannel | null;
  /** Opens a subscription's sealed secret (a webhook's signing secret, a chat webhook's URL); null without a secrets key. */
  openSecret: ((ciphertext: string, subscriptionId: string) => Promise<string>) | null;
  /** Base URL for links in messages. */
  publicUrl: string;
  owner?: string;
  grouping?: GroupingPolicy;
  random?: () => number;
}

export interface DispatchReport {
  /** Grouped messages sent (each an attempt on one channel). */
  sent: number;
  delivered: number;
  retried: number;
  dead: number;
  dropped: number;
  /** When a group held back for companions will be ready: dispatch again then (null: nothing waits). */
  wakeAt: number | null;
}

const LEASE_MS = 60_000;

function messageIdOf(ids: string[]): string {
  return `nmsg_${createHash('sha256')
    .update([...ids].sort().join(','))
    .digest('base64url')
    .slice(0, 24)}`;
}

export async function dispatchNotifications(deps: DispatchDeps, now: number): Promise<DispatchReport> {
  const { db } = deps;
  const owner = deps.owner ?? newId('dsp', now);
  const report: DispatchReport = { sent: 0, delivered: 0, retried: 0, dead: 0, dropped: 0, wakeAt: null };
  const claimed = (await claimDueNotifications(db, {
    owner,
    now,
    leaseMs: LEASE_MS,
    limit: 500,
    audience: 'admin',
  })) as AlertNotification[];
  if (claimed.length === 0) return report;
  const alertsById = new Map(
    (await findAlertsByIds(db, [...new Set(claimed.map((n) => n.alertId))])).map((a) => [a.id, a]),
  );
  const subsById = new Map(
    (await findAlertSubscriptionsByIds(db, [...new Set(claimed.map((n) => n.subscriptionId))])).map((s) => [
      s.id,
      s,
    ]),
  );
  const settle = [];
  const live: AlertNotification[] = [];
  for (const n of claimed) {
    const alert = alertsById.get(n.alertId);
    const sub = subsById.get(n.subscriptionId);
    const moot =
      !sub || sub.removedAt !== null || !sub.enabled
        ? 'subscription removed or disabled'
        : !alert
          ? 'alert no longer exists'
          : n.kind !== 'resolve' && alert.state !== 'firing'
            ? 'alert resolved before this was sent'
            : n.kind !== 'resolve' && sub.unacknowledgedOnly && alert.acknowledgedAt !== null
              ? `acknowledged by ${alert.acknowledgedBy ?? 'an admin'} before this was due`
              : null;
    const unsent = settleUnsentQuery(db, owner, n, moot, now);
    if (unsent) {
      settle.push(unsent.query);
      report[unsent.settlement]++;
    } else live.push(n);
  }
  const queued: QueuedNotification[] = live.map((n) => ({
    id: n.id,
    subscriptionId: n.subscriptionId,
    groupKey: n.groupKey,
    kind: n.kind,
    subject: alertsById.get(n.alertId)!.subjectName,
    ruleName: ruleNameOf(alertsById.get(n.alertId)!),
    // A retry is not held back by the group wait again.
    dueAt: n.attempts > 0 ? n.dueAt - (deps.grouping ?? DEFAULT_GROUPING).groupWaitMs : n.dueAt,
  }));
  const plan = planGroups(queued, new Map(), now, deps.grouping ?? DEFAULT_GROUPING);
  report.wakeAt = plan.wakeAt;
  const planned = new Set(plan.send.flatMap((m) => m.notificationIds));
  const waiting = live.filter((n) => !planned.has(n.id)).map((n) => n.id);
  if (waiting.length > 0) settle.push(settleNotificationsQuery(db, owner, waiting, { status: 'release' }));
  const byId = new Map(live.map((n) => [n.id, n]));
  await Promise.all(
    plan.send.map(async (message) => {
      const rows = message.notificationIds.map((id) => byId.get(id)!);
      const sub = subsById.get(message.subscriptionId)!;
      const messageId = messageIdOf(message.notificationIds);
      const groupAlerts = rows.map((r) => alertsById.get(r.alertId)!);
      const result = await send(
        deps,
        sub,
        { ...message, messageId, alerts: groupAlerts, kinds: rows.map((r) => r.kind) },
        now,
      );
      report.sent++;
      settle.push(
        insertNotificationAttemptQuery(db, {
          id: newId('nat', now),
          workspaceId: sub.workspaceId,
          messageId,
          subscriptionId: sub.id,
          channel: sub.channel,
          notificationIds: message.notificationIds,
          title: message.title,
          at: now,
          ok: result.ok,
          statusCode: result.ok ? (result.status ?? null) : (result.status ?? null),
          error: result.ok ? null : result.error.slice(0, 500),
        }),
      );
      const { query, settlement } = settleAttemptQuery(db, owner, rows, result, messageId, now, deps.random);
      settle.push(query);
      report[settlement] += message.notificationIds.length;
      if (!result.ok && result.gone)
        await removeAlertSubscription(db, {
          id: sub.id,
          reason: `${sub.channel === 'web_push' ? 'push service' : sub.channel} answered ${result.status ?? 'invalid'}`,
          now,
        });
    }),
  );
  const [first, ...rest] = settle;
  if (first) await db.batch([first, ...rest]);
  return report;
}

/**
 * Sends one test message to a subscription at once, outside the outbox: nothing is recorded, retried or
 * removed, and the caller sees exactly what the channel answered.
 */
export function sendTestNotification(
  deps: ChannelDeps,
  sub: AlertSubscription,
  now: number,
): Promise<DeliveryResult> {
  return send(
    deps,
    sub,
    {
      // Unique, so an email provider's idempotency never swallows a second test.
      messageId: `ntest_${newId('tst', now)}`,
      title: 'Test alert from Lifeline',
      lines: ['This is a test. Alerts for this workspace will arrive here.'],
      alerts: [],
      kinds: [],
    },
    now,
  );
}

function ruleNameOf(a: Alert): string {
  return a.summary.split(':')[0] ?? a.ruleId;
}

interface OutgoingMessage {
  messageId: string;
  title: string;
  lines: string[];
  alerts: Alert[];
  kinds: Notification['kind'][];
}

type ChannelDeps = Pick<DispatchDeps, 'webPush' | 'email' | 'openSecret' | 'publicUrl'>;

async function send(
  deps: ChannelDeps,
  sub: AlertSubscription,
  m: OutgoingMessage,
  now: number,
): Promise<DeliveryResult> {
  const link = `${deps.publicUrl}/admin/alerts`;
  const alertsData = m.alerts.map((a, i) => ({
    id: a.id,
    kind: m.kinds[i],
    state: a.state,
    severity: a.severity,
    subject: a.subjectName,
    summary: a.summary,
    firedAt: a.firedAt,
    resolvedAt: a.resolvedAt,
  }));
  switch (sub.channel) {
    case 'web_push': {
      if (!deps.webPush || !sub.pushKeys)
        return { ok: false, retryable: true, error: 'web push is not configured' };
      const urgent = m.alerts.some((a) => a.severity === 'page');
      return deps.webPush.send(
        { endpoint: sub.target, keys: sub.pushKeys },
        {
          payload: {
            title: m.title,
            body: m.lines.join('\n'),
            url: link,
            tag: m.messageId,
            alerts: alertsData,
          },
          ttlS: 24 * 3_600,
          urgency: urgent ? 'high' : 'normal',
        },
      );
    }
    case 'email': {
      if (!deps.email) return { ok: false, retryable: true, error: 'email is not configured' };
      return deps.email.send(
        {
          to: sub.target,
          subject: m.title,
          text: `${m.lines.join('\n')}\n\n${m.alerts.map((a) => `${a.subjectName}: ${a.summary}`).join('\n')}\n\nAlerts: ${link}\n`,
        },
        m.messageId,
      );
    }
    case 'webhook': {
      if (!deps.openSecret || !sub.secretCiphertext)
        return { ok: false, retryable: true, error: 'no secrets key to sign with' };
      const secret = await deps.openSecret(sub.secretCiphertext, sub.id);
      return sendSignedWebhook(
        { url: sub.target, secret },
        {
          id: m.messageId,
          type: 'alert.notification',
          data: { title: m.title, lines: m.lines, alerts: alertsData },
        },
        new Date(now),
      );
    }
    case 'slack':
    case 'discord': {
      if (!deps.openSecret || !sub.secretCiphertext)
        return { ok: false, retryable: true, error: 'no secrets key to open the webhook URL with' };
      const url = await deps.openSecret(sub.secretCiphertext, sub.id);
      return sendChatWebhook(sub.channel, url, {
        title: m.title,
        lines: m.lines,
        alerts: alertsData.map((a) => ({ ...a, kind: a.kind ?? undefined })),
        link,
        at: new Date(now),
      });
    }
  }
}
