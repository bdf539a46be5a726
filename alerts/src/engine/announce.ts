/**
 * Delivers the public side of the outbox (audience `public`): status announcements to the subscribers of
 * a status page, and double opt-in emails. Each row is one message, sent with the row's stable id as the
 * provider's idempotency key, settled like alert notifications (retry with backoff until the deadline,
 * then dead letter; dropped when moot: the subscriber left, or was confirmed already). Emails carry
 * RFC 8058 one-click unsubscribe headers; webhooks are signed (Standard Webhooks) with the subscriber's
 * own secret; a push subscription the push service says is gone ends the subscription.
 */
import {
  claimDueNotifications,
  type Db,
  defaultWorkspace,
  findIncident,
  findMaintenance,
  findStatusAnnouncementsByIds,
  findStatusSubscribersByIds,
  findWorkspace,
  insertNotificationAttemptQuery,
  listComponents,
  newId,
  unsubscribeStatusSubscriber,
} from '@lifeline/db';
import type { Notification, StatusAnnouncement, StatusSubscriber, Workspace } from '@lifeline/db/schema';
import { sendChatWebhook } from '../channels/chat.ts';
import type { EmailChannel } from '../channels/email.ts';
import type { DeliveryResult } from '../channels/result.ts';
import type { createWebPushChannel } from '../channels/web-push.ts';
import { sendSignedWebhook } from '../channels/webhook.ts';
import {
  type Announcement,
  type AnnouncementFacts,
  announcementEmailText,
  composeAnnouncement,
  confirmationEmail,
  type PageFacts,
  unsubscribeHeaders,
} from '../domain/announcements.ts';
import { settleAttemptQuery, settleUnsentQuery } from './settle.ts';

export interface AnnounceDeps {
  db: Db;
  webPush: ReturnType<typeof createWebPushChannel> | null;
  email: EmailChannel | null;
  /** The confirmation and unsubscribe links of a subscriber (signed); null without a secrets key. */
  links: ((subscriberId: string) => Promise<{ confirmUrl: string; unsubscribeUrl: string }>) | null;
  /** Opens a webhook subscriber's sealed secret. */
  openSecret: ((ciphertext: string, subscriberId: string) => Promise<string>) | null;
  /** How webhooks reach subscribers' URLs (default: global fetch); e.g. one refusing private addresses. */
  fetch?: typeof fetch;
  publicUrl: string;
  owner?: string;
  random?: () => number;
  /** Messages in flight at once. */
  concurrency?: number;
}

export interface AnnounceReport {
  sent: number;
  delivered: number;
  retried: number;
  dead: number;
  dropped: number;
}

const LEASE_MS = 60_000;

export async function dispatchAnnouncements(deps: AnnounceDeps, now: number): Promise<AnnounceReport> {
  const { db } = deps;
  const owner = deps.owner ?? newId('dsp', now);
  const report: AnnounceReport = { sent: 0, delivered: 0, retried: 0, dead: 0, dropped: 0 };
  const claimed = await claimDueNotifications(db, {
    owner,
    now,
    leaseMs: LEASE_MS,
    limit: 500,
    audience: 'public',
  });
  if (claimed.length === 0) return report;
  const subs = new Map(
    (await findStatusSubscribersByIds(db, [...new Set(claimed.map((n) => n.subscriptionId))])).map((s) => [
      s.id,
      s,
    ]),
  );
  const announcementIds = [...new Set(claimed.flatMap((n) => (n.announcementId ? [n.announcementId] : [])))];
  const facts = await gatherFacts(
    db,
    await findStatusAnnouncementsByIds(db, announcementIds),
    deps.publicUrl,
  );
  const pages = await pagesOf(db, [...new Set(claimed.map((n) => n.workspaceId))], deps.publicUrl);
  const settle = [];
  const live: {
    n: Notification;
    sub: StatusSubscriber;
    page: PageFacts;
    announcement: Announcement | null;
  }[] = [];
  for (const n of claimed) {
    const sub = subs.get(n.subscriptionId);
    const page = pages.get(n.workspaceId);
    const announcement = n.announcementId ? (facts.get(n.announcementId) ?? null) : null;
    const moot =
      !sub || sub.status === 'unsubscribed'
        ? 'the subscriber has unsubscribed'
        : n.kind === 'confirm' && sub.status !== 'pending'
          ? 'already confirmed'
          : n.kind === 'announce' && sub.status !== 'confirmed'
            ? 'the subscriber is not confirmed'
            : !page || (n.kind === 'announce' && !announcement)
              ? 'what it announced no longer exists'
              : null;
    const unsent = settleUnsentQuery(db, owner, n, moot, now);
    if (unsent) {
      settle.push(unsent.query);
      report[unsent.settlement]++;
    } else live.push({ n, sub: sub!, page: page!, announcement });
  }
  await inBatches(live, deps.concurrency ?? 16, async ({ n, sub, page, announcement }) => {
    const messageId = `pmsg_${n.id.slice(n.id.indexOf('_') + 1)}`;
    const result = await send(deps, n, sub, page, announcement, messageId, now);
    report.sent++;
    settle.push(
      insertNotificationAttemptQuery(db, {
        id: newId('nat', now),
        workspaceId: n.workspaceId,
        messageId,
        subscriptionId: sub.id,
        channel: sub.channel,
        notificationIds: [n.id],
        title: announcement?.title ?? 'Subscription confirmation',
        at: now,
        ok: result.ok,
        statusCode: result.status ?? null,
        error: result.ok ? null : result.error.slice(0, 500),
      }),
    );
    const { query, settlement } = settleAttemptQuery(db, owner, [n], result, messageId, now, deps.random);
    settle.push(query);
    report[settlement]++;
    if (!result.ok && result.gone)
      await unsubscribeStatusSubscriber(db, {
        id: sub.id,
        reason: `${sub.channel === 'web_push' ? 'push service' : sub.channel} answered ${result.status ?? 'gone'}`,
        now,
      });
  });
  const [first, ...rest] = settle;
  if (first) await db.batch([first, ...rest]);
  return report;
}

async function inBatches<T>(items: T[], size: number, run: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(run));
}

async function pagesOf(db: Db, workspaceIds: string[], publicUrl: string): Promise<Map<string, PageFacts>> {
  const byDefault = await defaultWorkspace(db);
  const out = new Map<string, PageFacts>();
  for (const id of workspaceIds) {
    const ws = await findWorkspace(db, id);
    if (ws) out.set(id, pageFacts(ws, byDefault?.id === ws.id, publicUrl));
  }
  return out;
}

function pageFacts(ws: Workspace, isDefault: boolean, publicUrl: string): PageFacts {
  return {
    name: ws.name,
    url: isDefault ? `${publicUrl}/` : `${publicUrl}/s/${encodeURIComponent(ws.slug)}`,
  };
}

/** Each announcement with what it says, read now (an incident renamed since reads with its new name). */
async function gatherFacts(
  db: Db,
  announcements: StatusAnnouncement[],
  publicUrl: string,
): Promise<Map<string, Announcement>> {
  const out = new Map<string, Announcement>();
  const componentNames = new Map<string, Map<string, string>>();
  const namesOf = async (workspaceId: string, ids: string[] | null) => {
    let names = componentNames.get(workspaceId);
    if (!names) {
      names = new Map((await listComponents(db, workspaceId)).map((c) => [c.id, c.name]));
      componentNames.set(workspaceId, names);
    }
    return (ids ?? []).flatMap((id) => (names.has(id) ? [names.get(id)!] : []));
  };
  const pages = await pagesOf(db, [...new Set(announcements.map((a) => a.workspaceId))], publicUrl);
  for (const a of announcements) {
    const page = pages.get(a.workspaceId);
    if (!page) continue;
    let facts: AnnouncementFacts | null = null;
    if (a.kind === 'incident_update' && a.incidentId) {
      const incident = await findIncident(db, a.workspaceId, a.incidentId);
      const update = incident?.updates.find((u) => u.id === a.incidentUpdateId);
      if (incident && update) {
        const first = incident.updates.reduce((x, y) => (y.createdAt < x.createdAt ? y : x));
        facts = {
          kind: 'incident_update',
          incident: {
            id: incident.id,
            name: incident.name,
            impact: incident.impact,
            status: incident.status,
            update: { id: update.id, status: update.status, body: update.body, createdAt: update.createdAt },
            opening: first.id === update.id,
            components: await namesOf(a.workspaceId, incident.componentIds),
          },
        };
      }
    } else if (a.kind !== 'incident_update' && a.maintenanceId) {
      const m = await findMaintenance(db, a.workspaceId, a.maintenanceId);
      if (m)
        facts = {
          kind: a.kind,
          maintenance: {
            id: m.id,
            title: m.title,
            description: m.description,
            startsAt: m.startsAt,
            endsAt: m.endsAt,
            components: await namesOf(a.workspaceId, m.componentIds),
          },
        };
    }
    if (facts) out.set(a.id, composeAnnouncement(facts, page));
  }
  return out;
}

async function send(
  deps: AnnounceDeps,
  n: Notification,
  sub: StatusSubscriber,
  page: PageFacts,
  announcement: Announcement | null,
  messageId: string,
  now: number,
): Promise<DeliveryResult> {
  if (!deps.links) return { ok: false, retryable: true, error: 'no secrets key to sign links with' };
  const links = await deps.links(sub.id);
  if (n.kind === 'confirm') {
    if (!deps.email || !sub.email) return { ok: false, retryable: true, error: 'email is not configured' };
    const { subject, text } = confirmationEmail(page, links.confirmUrl);
    return deps.email.send({ to: sub.email, subject, text }, messageId);
  }
  const a = announcement!;
  switch (sub.channel) {
    case 'email':
      if (!deps.email || !sub.email) return { ok: false, retryable: true, error: 'email is not configured' };
      return deps.email.send(
        {
          to: sub.email,
          subject: a.title,
          text: announcementEmailText(a, page, links.unsubscribeUrl),
          headers: unsubscribeHeaders(links.unsubscribeUrl),
        },
        messageId,
      );
    case 'web_push':
      if (!deps.webPush || !sub.pushKeys || !sub.endpoint)
        return { ok: false, retryable: true, error: 'web push is not configured' };
      return deps.webPush.send(
        { endpoint: sub.endpoint, keys: sub.pushKeys },
        {
          payload: { title: a.title, body: a.short, url: page.url, tag: n.announcementId },
          ttlS: 24 * 3_600,
        },
      );
    case 'webhook': {
      if (!deps.openSecret || !sub.secretCiphertext || !sub.endpoint)
        return { ok: false, retryable: true, error: 'no secrets key to sign with' };
      const secret = await deps.openSecret(sub.secretCiphertext, sub.id);
      return sendSignedWebhook(
        { url: sub.endpoint, secret },
        { id: messageId, type: a.eventType, data: { ...a.data, unsubscribeUrl: links.unsubscribeUrl } },
        new Date(now),
        10_000,
        deps.fetch,
      );
    }
    case 'slack':
    case 'discord': {
      if (!deps.openSecret || !sub.secretCiphertext)
        return { ok: false, retryable: true, error: 'no secrets key to open the webhook URL with' };
      const url = await deps.openSecret(sub.secretCiphertext, sub.id);
      return sendChatWebhook(
        sub.channel,
        url,
        {
          title: a.title,
          lines: a.text.split('\n'),
          alerts: [],
          link: page.url,
          linkText: `${page.name} status`,
          footer: { text: 'Unsubscribe', url: links.unsubscribeUrl },
          tone:
            a.eventType.endsWith('.resolved') || a.eventType.endsWith('.completed')
              ? 'ok'
              : a.eventType.startsWith('incident')
                ? 'problem'
                : 'info',
          at: new Date(now),
        },
        10_000,
        deps.fetch,
      );
    }
  }
}
