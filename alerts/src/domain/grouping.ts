/**
 * Grouping: notifications due for one subscriber at about the same time go out as one message ("5
 * devices offline", not five). Alertmanager's model, tuned for time to alert: the first notification of
 * a group waits `groupWaitMs` for companions (2 s by default, not Alertmanager's 30 s, because a dead
 * phone must page within its grace + 10 s). New firing alerts only ever wait for that; reminders and
 * recoveries of a group already sent wait `groupIntervalMs` after it. Pure: it plans, the dispatcher sends.
 */

export interface QueuedNotification {
  id: string;
  subscriptionId: string;
  /** Notifications of one group key (the rule, for one subscription) travel together. */
  groupKey: string;
  kind: 'fire' | 'remind' | 'resolve';
  /** Human subject, e.g. the device name. */
  subject: string;
  ruleName: string;
  dueAt: number;
}

export interface GroupingPolicy {
  groupWaitMs: number;
  groupIntervalMs: number;
}

export const DEFAULT_GROUPING: GroupingPolicy = { groupWaitMs: 2_000, groupIntervalMs: 5 * 60_000 };

export interface PlannedMessage {
  subscriptionId: string;
  groupKey: string;
  notificationIds: string[];
  title: string;
  lines: string[];
}

export interface Plan {
  send: PlannedMessage[];
  /** When to plan again (the earliest group that is not ready yet), or null if nothing waits. */
  wakeAt: number | null;
}

/**
 * Plans which queued notifications go out at `now`, grouped by subscription and group key.
 * `lastSentAt` maps `subscriptionId|groupKey` to when that group last went out.
 */
export function planGroups(
  queued: readonly QueuedNotification[],
  lastSentAt: ReadonlyMap<string, number>,
  now: number,
  policy: GroupingPolicy = DEFAULT_GROUPING,
): Plan {
  const groups = new Map<string, QueuedNotification[]>();
  for (const n of queued) {
    if (n.dueAt > now) continue;
    const key = `${n.subscriptionId}|${n.groupKey}`;
    const list = groups.get(key) ?? [];
    list.push(n);
    groups.set(key, list);
  }
  const send: PlannedMessage[] = [];
  let wakeAt: number | null = null;
  const later = (t: number) => {
    wakeAt = wakeAt === null ? t : Math.min(wakeAt, t);
  };
  for (const n of queued) if (n.dueAt > now) later(n.dueAt);
  for (const [key, list] of groups) {
    const firstDue = Math.min(...list.map((n) => n.dueAt));
    const last = lastSentAt.get(key);
    // New firing news waits only for companions; reminders and recoveries of a group already told wait
    // for its interval, so a flapping rule cannot flood anyone.
    const news = last === undefined || list.some((n) => n.kind === 'fire');
    const at = news ? firstDue + policy.groupWaitMs : Math.max(firstDue, last + policy.groupIntervalMs);
    if (at > now) {
      later(at);
      continue;
    }
    send.push(summarize(list));
  }
  return { send, wakeAt };
}

const VERB: Record<QueuedNotification['kind'], string> = {
  fire: 'firing',
  remind: 'still firing',
  resolve: 'resolved',
};

/** One message for a group: a title that counts, a line per subject. */
export function summarize(list: readonly QueuedNotification[]): PlannedMessage {
  const first = list[0]!;
  const byKind = new Map<QueuedNotification['kind'], QueuedNotification[]>();
  for (const n of list) byKind.set(n.kind, [...(byKind.get(n.kind) ?? []), n]);
  const parts = (['fire', 'remind', 'resolve'] as const)
    .filter((k) => byKind.has(k))
    .map((k) => `${byKind.get(k)!.length} ${VERB[k]}`);
  const title =
    list.length === 1
      ? `${first.ruleName}: ${first.subject} (${VERB[first.kind]})`
      : `${first.ruleName}: ${parts.join(', ')}`;
  return {
    subscriptionId: first.subscriptionId,
    groupKey: first.groupKey,
    notificationIds: list.map((n) => n.id),
    title,
    lines: list.map((n) => `${n.subject}: ${VERB[n.kind]}`),
  };
}
