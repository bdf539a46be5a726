import { newId } from '@lifeline/db';
import {
  auditEvents,
  heartbeats,
  messageEvents,
  messages,
  notificationAttempts,
  notifications,
  smsCanaries,
  statusAnnouncements,
  statusSubscribers,
  uptimeRollups,
  webhookDeliveries,
} from '@lifeline/db/schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from '../../test/helpers.ts';
import {
  alignToRetention,
  configureRetention,
  DEFAULT_RETENTION,
  pruneExpired,
  pruneIfDue,
} from './retention.ts';

const DAY = 86_400_000;
const H = 3_600_000;

describe('alignToRetention', () => {
  const now = 1_000 * DAY;
  it.each([
    ['recent: untouched', now - 3 * DAY + 12_345, now - 3 * DAY + 12_345],
    ['past minute retention: whole hour', now - 20 * DAY + 90 * 60_000 + 7, now - 20 * DAY + H],
    ['past hour retention: whole day', now - 90 * DAY + 5 * H, now - 90 * DAY],
  ])('%s', (_n, from, expected) => {
    expect(alignToRetention(from, now, DEFAULT_RETENTION)).toBe(expected);
  });
});

describe('pruneExpired', () => {
  let s: TestServer;
  beforeAll(async () => {
    s = await startTestServer();
  });
  afterAll(async () => {
    await s.close();
  });

  it('drops raw heartbeats after 7 days and each rollup granularity after its retention', async () => {
    const now = s.clock.now();
    const db = s.deps.db;
    const base = {
      workspaceId: 'ws',
      deviceId: 'dev',
      intervalMs: 30_000,
      deviceTime: 0,
      runId: 'r',
      bootId: 'b',
      seq: 0,
      monotonicMs: 0,
      gapKind: 'continuous' as const,
      appVersion: '1',
      driverStatus: 'pass',
      queueDepth: 0,
      payload: {},
    };
    await db.insert(heartbeats).values([
      { ...base, receivedAt: now - 8 * DAY },
      { ...base, receivedAt: now - 6 * DAY },
    ]);
    const row = (granularity: 'minute' | 'hour' | 'day', bucketStart: number) => ({
      scopeKey: 'dev:x',
      granularity,
      bucketStart,
      onlineMs: 1,
      heartbeats: 1,
    });
    await db
      .insert(uptimeRollups)
      .values([
        row('minute', now - 9 * DAY),
        row('minute', now - 7 * DAY),
        row('hour', now - 36 * DAY),
        row('hour', now - 34 * DAY),
        row('day', now - 401 * DAY),
        row('day', now - 399 * DAY),
      ]);
    await pruneExpired(db, now);
    expect((await db.select().from(heartbeats)).map((h) => h.receivedAt)).toEqual([now - 6 * DAY]);
    const left = (await db.select().from(uptimeRollups)).map(
      (r) => `${r.granularity}:${(now - r.bucketStart) / DAY}`,
    );
    expect(left.sort()).toEqual(['day:399', 'hour:34', 'minute:7']);
  });

  it('drops SMS canaries after 7 days with their messages and events, and never a customer message', async () => {
    const now = s.clock.now();
    const db = s.deps.db;
    const message = (id: string, purpose: 'customer' | 'canary', createdAt: number) => ({
      id,
      workspaceId: s.creds.workspaceId,
      recipient: '+447700900123',
      body: 'x',
      encoding: 'gsm7' as const,
      segments: 1,
      status: 'delivered' as const,
      stateRank: 4,
      createdAt,
      updatedAt: createdAt,
      expiresAt: createdAt,
      purpose,
    });
    const canary = (id: string, messageId: string, createdAt: number) => ({
      id,
      probeId: 'prb_1',
      workspaceId: s.creds.workspaceId,
      messageId,
      nonce: id.toUpperCase(),
      fromDeviceId: 'dev_a',
      toDeviceId: 'dev_b',
      toNumber: '+447700900123',
      createdAt,
    });
    await db
      .insert(messages)
      .values([
        message('msg_old_canary', 'canary', now - 8 * DAY),
        message('msg_new_canary', 'canary', now - 6 * DAY),
        message('msg_old_customer', 'customer', now - 8 * DAY),
      ]);
    await db.insert(messageEvents).values(
      ['msg_old_canary', 'msg_new_canary', 'msg_old_customer'].map((messageId) => ({
        messageId,
        workspaceId: s.creds.workspaceId,
        attempt: 0,
        status: 'queued' as const,
        at: now - 8 * DAY,
        source: 'server' as const,
        applied: true,
      })),
    );
    await db
      .insert(smsCanaries)
      .values([
        canary('cny_old', 'msg_old_canary', now - 8 * DAY),
        canary('cny_new', 'msg_new_canary', now - 6 * DAY),
      ]);
    await pruneExpired(db, now);
    expect((await db.select().from(smsCanaries)).map((c) => c.id)).toEqual(['cny_new']);
    const left = (await db.select().from(messages)).map((m) => m.id).sort();
    expect(left).toEqual(['msg_new_canary', 'msg_old_customer']);
    expect((await db.select().from(messageEvents)).map((e) => e.messageId).sort()).toEqual(left);
  });

  it('keeps the outbox 90 days but never a pending row, and forgets unconfirmed addresses after 30 days', async () => {
    const now = s.clock.now();
    const db = s.deps.db;
    const ws = s.creds.workspaceId;
    const note = (
      id: string,
      status: 'pending' | 'delivered' | 'dead',
      ageDays: number,
      announcementId: string | null,
    ) => ({
      id,
      workspaceId: ws,
      audience: 'public' as const,
      announcementId,
      subscriptionId: 'sub_a',
      channel: 'email' as const,
      kind: 'announce' as const,
      groupKey: 'g',
      dedupKey: id,
      status,
      dueAt: now - ageDays * DAY,
      nextAttemptAt: now - ageDays * DAY,
      deadlineAt: now,
      createdAt: now - ageDays * DAY,
    });
    await db.insert(statusAnnouncements).values([
      { id: 'ann_old', workspaceId: ws, kind: 'incident_update', createdAt: now - 100 * DAY },
      { id: 'ann_new', workspaceId: ws, kind: 'incident_update', createdAt: now - 10 * DAY },
    ]);
    await db
      .insert(notifications)
      .values([
        note('ntf_old_delivered', 'delivered', 100, 'ann_old'),
        note('ntf_old_dead', 'dead', 95, 'ann_old'),
        note('ntf_old_pending', 'pending', 100, 'ann_old'),
        note('ntf_new', 'delivered', 10, 'ann_new'),
      ]);
    await db.insert(notificationAttempts).values(
      [100, 10].map((age) => ({
        id: `nat_${age}`,
        workspaceId: ws,
        messageId: 'm',
        subscriptionId: 'sub_a',
        channel: 'email' as const,
        notificationIds: [],
        title: 't',
        at: now - age * DAY,
        ok: true,
      })),
    );
    const subscriber = (id: string, status: 'pending' | 'confirmed', ageDays: number) => ({
      id,
      workspaceId: ws,
      channel: 'email' as const,
      email: `${id}@example.com`,
      status,
      createdAt: now - ageDays * DAY,
    });
    await db
      .insert(statusSubscribers)
      .values([
        subscriber('sub_stale', 'pending', 31),
        subscriber('sub_fresh', 'pending', 5),
        subscriber('sub_loyal', 'confirmed', 400),
      ]);
    await pruneExpired(db, now);
    expect((await db.select().from(notifications)).map((n) => n.id).sort()).toEqual([
      'ntf_new',
      'ntf_old_pending',
    ]);
    expect((await db.select().from(notificationAttempts)).map((a) => a.id)).toEqual(['nat_10']);
    // The old announcement stays while a notification of it is still pending.
    expect((await db.select().from(statusAnnouncements)).map((a) => a.id).sort()).toEqual([
      'ann_new',
      'ann_old',
    ]);
    expect((await db.select().from(statusSubscribers)).map((r) => r.id).sort()).toEqual([
      'sub_fresh',
      'sub_loyal',
    ]);
  });

  it('keeps the audit log as long as the daily rollups, then drops it', async () => {
    const now = s.clock.now();
    const event = {
      workspaceId: s.creds.workspaceId,
      actorKind: 'api_key' as const,
      actorId: 'key_x',
      actorLabel: 'x',
      action: 'PATCH /v1/workspace',
      target: null,
      fields: ['name'],
      status: 200,
      requestId: null,
    };
    await s.deps.db.insert(auditEvents).values([
      { ...event, at: now - (DEFAULT_RETENTION.rollupDays + 1) * DAY },
      { ...event, at: now - (DEFAULT_RETENTION.rollupDays - 1) * DAY },
    ]);
    await pruneExpired(s.deps.db, now);
    const left = await s.deps.db.select().from(auditEvents);
    expect(left.map((e) => e.at)).toEqual([now - (DEFAULT_RETENTION.rollupDays - 1) * DAY]);
  });

  it('forgets customers’ messages, their events and settled webhook deliveries after 30 days, never a held one', async () => {
    const now = s.clock.now();
    const message = (
      createdAt: number,
      status: 'delivered' | 'queued' | 'failed',
      purpose: 'customer' | 'canary' = 'customer',
    ) => ({
      id: newId('msg', createdAt),
      workspaceId: s.creds.workspaceId,
      recipient: '+447700900123',
      body: 'Your code is 123456',
      encoding: 'gsm7' as const,
      segments: 1,
      status,
      stateRank: status === 'queued' ? 0 : 5,
      attempt: 1,
      purpose,
      createdAt,
      updatedAt: createdAt,
      expiresAt: createdAt + DAY,
      deadlineAt: createdAt + DAY,
    });
    const old = message(now - 31 * DAY, 'delivered');
    // Scheduled 25 days ahead when it was made, sent 6 days ago: kept for its retention after it went.
    const sentLate = { ...message(now - 31 * DAY, 'delivered'), updatedAt: now - 6 * DAY };
    const oldFailed = message(now - 40 * DAY, 'failed');
    const oldQueued = message(now - 31 * DAY, 'queued');
    const recent = message(now - 29 * DAY, 'delivered');
    await s.deps.db.insert(messages).values([old, oldFailed, oldQueued, recent, sentLate]);
    await s.deps.db.insert(messageEvents).values(
      [old, oldFailed, recent].map((m) => ({
        messageId: m.id,
        workspaceId: m.workspaceId,
        attempt: 1,
        status: m.status,
        at: m.createdAt,
        source: 'device' as const,
        applied: true,
      })),
    );
    const delivery = (id: string, status: 'delivered' | 'dead' | 'pending', at: number) => ({
      id,
      workspaceId: s.creds.workspaceId,
      webhookId: 'wh_x',
      eventType: 'message.delivered',
      payload: { to: '+447700900123' },
      dedupKey: id,
      status,
      nextAttemptAt: at,
      deadlineAt: at + DAY,
      createdAt: at,
    });
    await s.deps.db
      .insert(webhookDeliveries)
      .values([
        delivery('whd_old', 'delivered', now - 31 * DAY),
        delivery('whd_dead', 'dead', now - 35 * DAY),
        delivery('whd_stuck', 'pending', now - 31 * DAY),
        delivery('whd_new', 'delivered', now - 2 * DAY),
      ]);

    await pruneExpired(s.deps.db, now);
    const ids = (await s.deps.db.select({ id: messages.id }).from(messages)).map((m) => m.id);
    expect(ids).toEqual(expect.arrayContaining([oldQueued.id, recent.id, sentLate.id]));
    expect(ids).not.toContain(old.id);
    expect(ids).not.toContain(oldFailed.id);
    const events = (await s.deps.db.select().from(messageEvents)).map((e) => e.messageId);
    expect(events).toContain(recent.id);
    expect(events).not.toContain(old.id);
    expect(events).not.toContain(oldFailed.id);
    const deliveries = (await s.deps.db.select({ id: webhookDeliveries.id }).from(webhookDeliveries)).map(
      (d) => d.id,
    );
    expect(deliveries.sort()).toEqual(['whd_new', 'whd_stuck']);
  });

  it('follows the configured retention (MESSAGE_RETENTION_DAYS and the others), also on the tick', async () => {
    const now = s.clock.now() + 400 * DAY; // past the previous hourly prune
    const older = { id: newId('msg', now - 12 * DAY) };
    await s.deps.db.insert(messages).values({
      id: older.id,
      workspaceId: s.creds.workspaceId,
      recipient: '+447700900123',
      body: 'x',
      encoding: 'gsm7',
      segments: 1,
      status: 'delivered',
      stateRank: 5,
      attempt: 1,
      createdAt: now - 12 * DAY,
      updatedAt: now - 12 * DAY,
      expiresAt: now,
      deadlineAt: now,
    });
    configureRetention({ ...DEFAULT_RETENTION, messageDays: 10 });
    try {
      expect(await pruneIfDue(s.deps.db, now)).toBe(true);
    } finally {
      configureRetention(DEFAULT_RETENTION);
    }
    const ids = (await s.deps.db.select({ id: messages.id }).from(messages)).map((m) => m.id);
    expect(ids).not.toContain(older.id);
  });
});
