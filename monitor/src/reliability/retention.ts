import {
  type Db,
  pruneAuditEventsQuery,
  pruneHeartbeatsQuery,
  pruneMessagesQueries,
  pruneOutboxQueries,
  pruneProbeResultsQuery,
  pruneRollupsQueries,
  pruneSmsCanariesQueries,
  pruneUnconfirmedSubscribersQuery,
  pruneWebhookDeliveriesQuery,
} from '@lifeline/db';
import type { Granularity } from '@lifeline/db/schema';
import { GRANULARITY_MS } from '../domain/buckets.ts';

const DAY = 86_400_000;
/** Settled notifications, their attempts and status announcements are kept this long. */
export const OUTBOX_KEEP_MS = 90 * DAY;
/** Email addresses never confirmed are forgotten after this long. */
export const UNCONFIRMED_KEEP_MS = 30 * DAY;

export interface RetentionPolicy {
  /** Raw heartbeats and probe results (default 7 days). */
  rawDays: number;
  /** Day rollups (default 400 days). */
  rollupDays: number;
  /** Customers' messages (recipients, texts, events) and settled webhook deliveries (default 30 days). */
  messageDays: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = { rawDays: 7, rollupDays: 400, messageDays: 30 };

let configured: RetentionPolicy = DEFAULT_RETENTION;

/**
 * Sets this process's retention from the configuration (RETENTION_DAYS, ROLLUP_RETENTION_DAYS,
 * MESSAGE_RETENTION_DAYS), once at start.
 */
export function configureRetention(policy: RetentionPolicy): void {
  configured = policy;
}

export function retentionPolicy(): RetentionPolicy {
  return configured;
}

/**
 * How long each rollup granularity is kept: minutes a day beyond the raw data, hours long enough for
 * 30-day SLO windows, days as long as configured. A query needs minutes only at the recent edges of its
 * range and hours only within the month.
 */
export function rollupKeepMs(policy: RetentionPolicy): Record<Granularity, number> {
  return { minute: (policy.rawDays + 1) * DAY, hour: 35 * DAY, day: policy.rollupDays * DAY };
}

/**
 * Widens the start of a range whose edge falls where finer rollups are gone: to a whole hour where minutes
 * are pruned, to a whole day where hours are. Numerator and denominator then cover the same time.
 */
export function alignToRetention(
  from: number,
  now: number,
  policy: RetentionPolicy = DEFAULT_RETENTION,
): number {
  const keep = rollupKeepMs(policy);
  if (from < now - keep.hour) return Math.floor(from / GRANULARITY_MS.day) * GRANULARITY_MS.day;
  if (from < now - keep.minute) return Math.floor(from / GRANULARITY_MS.hour) * GRANULARITY_MS.hour;
  return from;
}

/** Deletes what is past retention, a bounded amount per call so a tick never stalls on it. */
export async function pruneExpired(db: Db, now: number, policy: RetentionPolicy = configured) {
  const keep = rollupKeepMs(policy);
  const [first, ...rest] = [
    pruneHeartbeatsQuery(db, now - policy.rawDays * DAY, 5_000),
    pruneProbeResultsQuery(db, now - policy.rawDays * DAY, 5_000),
    // SMS canaries (and their messages, which no customer sees) live as long as the probe results.
    ...pruneSmsCanariesQueries(db, now - policy.rawDays * DAY, 1_000),
    ...pruneOutboxQueries(db, now - OUTBOX_KEEP_MS, 5_000),
    // Delivery figures live on in the rollups; the messages themselves (personal data) do not.
    ...pruneMessagesQueries(db, now - policy.messageDays * DAY, 5_000),
    pruneWebhookDeliveriesQuery(db, now - policy.messageDays * DAY, 5_000),
    pruneUnconfirmedSubscribersQuery(db, now - UNCONFIRMED_KEEP_MS, 1_000),
    // The audit log is kept as long as the daily figures it may explain.
    pruneAuditEventsQuery(db, now - keep.day, 5_000),
    ...pruneRollupsQueries(db, {
      minute: now - keep.minute,
      hour: now - keep.hour,
      day: now - keep.day,
    }),
  ];
  await db.batch([first, ...rest]);
}

let lastPruneAt = Number.NEGATIVE_INFINITY;

/** Prunes at most once an hour per process (the tick runs every few seconds). */
export async function pruneIfDue(
  db: Db,
  now: number,
  policy: RetentionPolicy = configured,
): Promise<boolean> {
  if (now - lastPruneAt < 3_600_000) return false;
  lastPruneAt = now;
  await pruneExpired(db, now, policy);
  return true;
}
