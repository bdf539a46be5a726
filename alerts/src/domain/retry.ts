/**
 * Notification retries: fast at first (an outage alert that waits is worth little), then every 10
 * minutes until the deadline, after which the notification is dead-lettered with its last error.
 */
export const NOTIFICATION_RETRY_MS = [5_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000] as const;
export const NOTIFICATION_DEADLINE_MS = 24 * 3_600_000;

/** Delay after the nth failed attempt (n ≥ 1), ±20 % jitter so channels that failed together spread out. */
export function notificationRetryDelayMs(failedAttempts: number, random: () => number = Math.random): number {
  const step = Math.min(Math.max(failedAttempts, 1), NOTIFICATION_RETRY_MS.length) - 1;
  return Math.round(NOTIFICATION_RETRY_MS[step]! * (0.8 + 0.4 * random()));
}
