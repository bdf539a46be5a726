/**
 * Who hears about an alert, on which channel, and when. A subscription names a channel and filters
 * (severities, rules, devices; empty means all). Email can wait: the pattern gateway operators ask for
 * is "push at once, email only for extended downtime", so a channel may carry a delay and only hears
 * about alerts still firing when it has passed. An escalation is a delayed subscription that only hears
 * of alerts nobody has acknowledged by then ("page the manager if on-call has not picked it up in 15
 * minutes"); the dispatcher checks both when the delay is over. A recovery goes to exactly the
 * subscriptions that were told the alert fired.
 */

import type { alertChannels, alertSeverities } from '@lifeline/db/schema';

export type Channel = (typeof alertChannels)[number];
export type Severity = (typeof alertSeverities)[number];

export interface Subscription {
  id: string;
  channel: Channel;
  severities: readonly Severity[];
  ruleIds: readonly string[];
  deviceIds: readonly string[];
  /** Tell this subscription only about alerts still firing this long after they fired. */
  delayMs: number;
  enabled: boolean;
}

export interface AlertFacts {
  ruleId: string;
  severity: Severity;
  deviceId?: string | null;
  firedAt: number;
}

export function subscriptionMatches(s: Subscription, a: AlertFacts): boolean {
  if (!s.enabled) return false;
  if (s.severities.length > 0 && !s.severities.includes(a.severity)) return false;
  if (s.ruleIds.length > 0 && !s.ruleIds.includes(a.ruleId)) return false;
  if (s.deviceIds.length > 0 && (!a.deviceId || !s.deviceIds.includes(a.deviceId))) return false;
  return true;
}

/** When a firing alert's notification is due for a subscription (fired + delay). */
export function dueAt(s: Subscription, a: AlertFacts): number {
  return a.firedAt + Math.max(0, s.delayMs);
}

/**
 * The subscriptions that hear of an alert that fired, each with when: a delayed one is only due if the
 * alert is still firing then (the dispatcher checks `stillFiring` at that time and drops it otherwise).
 */
export function recipientsOfFiring(subscriptions: readonly Subscription[], a: AlertFacts) {
  return subscriptions
    .filter((s) => subscriptionMatches(s, a))
    .map((s) => ({ subscriptionId: s.id, dueAt: dueAt(s, a) }));
}

/** The subscriptions that hear of a recovery: those that were actually told it fired. */
export function recipientsOfRecovery(
  toldOfFiring: ReadonlySet<string>,
  subscriptions: readonly Subscription[],
) {
  return subscriptions.filter((s) => s.enabled && toldOfFiring.has(s.id)).map((s) => s.id);
}
