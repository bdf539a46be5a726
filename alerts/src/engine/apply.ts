/**
 * Applies one evaluation of a workspace's rules: each condition (a rule on one subject, active or not)
 * advances its alert through the lifecycle, and every transition that tells subscribers writes its
 * notification rows in the same batch as the transition itself (transactional outbox). Silences and
 * maintenance windows turn those rows `suppressed`: the alert is still recorded.
 */
import {
  announceQueries,
  type Db,
  deleteAlertQuery,
  insertAlertEventQuery,
  insertNotificationsQuery,
  newId,
  upsertAlertQuery,
} from '@lifeline/db';
import {
  type Alert,
  type AlertRule,
  type AlertSubscription,
  incidents,
  incidentUpdates,
  type notifications,
} from '@lifeline/db/schema';
import { and, eq, isNull, sql } from 'drizzle-orm';
import { type AlertInstance, stepAlert } from '../domain/lifecycle.ts';
import { NOTIFICATION_DEADLINE_MS } from '../domain/retry.ts';
import { recipientsOfFiring, type Severity, type Subscription } from '../domain/subscriptions.ts';
import { type MaintenanceWindow, type Silence, suppressionOf } from '../domain/suppression.ts';

export interface Condition {
  ruleId: string;
  /** Stable key of what the condition is about: `device:dev_1`, `carrier:Vodafone UK`, `slo:slo_1`. */
  subject: string;
  subjectType: string;
  subjectId: string | null;
  subjectName: string;
  active: boolean;
  /** One line on what is wrong (or, when inactive, nothing). */
  summary: string;
  deviceId?: string | null;
  componentIds?: string[];
  /**
   * Never speaks on the status page, even under a public rule: an SMS canary is Lifeline testing the
   * customer's own phone, not an upstream the public depends on.
   */
  internal?: boolean;
}

export interface EvaluationInput {
  workspaceId: string;
  /** The rules this evaluation judged: their open alerts without a condition count as cleared. */
  rules: AlertRule[];
  conditions: Condition[];
  openAlerts: Alert[];
  subscriptions: AlertSubscription[];
  /** Subscriptions told of each open alert's firing (delivered `fire` notifications). */
  toldOfFiring: ReadonlyMap<string, ReadonlySet<string>>;
  silences: Silence[];
  maintenances: MaintenanceWindow[];
  now: number;
}

export interface AppliedTransition {
  alertId: string;
  ruleId: string;
  subject: string;
  kind: 'pending' | 'fire' | 'remind' | 'resolve' | 'cancel';
  notifications: number;
  suppressed: number;
}

const toInstance = (a: Alert): AlertInstance => ({
  dedupeKey: a.dedupeKey,
  state: a.state,
  startedAt: a.startedAt,
  firedAt: a.firedAt,
  resolvedAt: a.resolvedAt,
  lastNotifiedAt: a.lastNotifiedAt,
  clearSince: a.clearSince,
  acknowledgedAt: a.acknowledgedAt,
});

function toSubscription(s: AlertSubscription): Subscription {
  return {
    id: s.id,
    channel: s.channel,
    severities: s.severities as Severity[],
    ruleIds: s.ruleIds,
    deviceIds: s.deviceIds,
    delayMs: s.delayMs,
    enabled: s.enabled && s.removedAt === null,
  };
}

/** Plans the writes of one evaluation; `applyEvaluation` runs them in one batch. Exported for tests. */
export function planEvaluation(db: Db, input: EvaluationInput) {
  const { now, workspaceId } = input;
  const rulesById = new Map(input.rules.map((r) => [r.id, r]));
  const open = new Map(
    input.openAlerts.filter((a) => rulesById.has(a.ruleId)).map((a) => [a.dedupeKey, a] as const),
  );
  const seen = new Map<string, Condition>();
  for (const c of input.conditions) if (rulesById.has(c.ruleId)) seen.set(`${c.ruleId}:${c.subject}`, c);
  // An open alert whose subject was not reported this time has cleared (the device was removed, …).
  for (const [key, a] of open) {
    if (seen.has(key)) continue;
    seen.set(key, {
      ruleId: a.ruleId,
      subject: key.slice(a.ruleId.length + 1),
      subjectType: a.subjectType,
      subjectId: a.subjectId,
      subjectName: a.subjectName,
      active: false,
      summary: a.summary,
    });
  }
  const subscriptions = input.subscriptions.map(toSubscription);
  const queries = [];
  const transitions: AppliedTransition[] = [];
  for (const [key, c] of seen) {
    const rule = rulesById.get(c.ruleId)!;
    const current = open.get(key);
    if (!current && !c.active) continue;
    const step = stepAlert(current && toInstance(current), key, c.active, now, {
      forMs: rule.forMs,
      repeatIntervalMs: rule.repeatIntervalMs,
      clearForMs: 0,
    });
    if (!step.transition) {
      if (current && step.next && step.next.clearSince !== current.clearSince)
        queries.push(upsertAlertQuery(db, { ...current, clearSince: step.next.clearSince }));
      continue;
    }
    const alertId = current?.id ?? newId('alr', now);
    if (step.transition === 'cancel') {
      queries.push(deleteAlertQuery(db, alertId));
      transitions.push({
        alertId,
        ruleId: c.ruleId,
        subject: c.subject,
        kind: 'cancel',
        notifications: 0,
        suppressed: 0,
      });
      continue;
    }
    const next = step.next!;
    const row: Alert = {
      id: alertId,
      workspaceId,
      ruleId: c.ruleId,
      dedupeKey: key,
      subjectType: c.subjectType,
      subjectId: c.subjectId,
      subjectName: c.subjectName,
      state: next.state,
      severity: rule.severity,
      summary: c.active ? c.summary : (current?.summary ?? c.summary),
      startedAt: next.startedAt,
      firedAt: next.firedAt,
      resolvedAt: next.resolvedAt,
      lastNotifiedAt: next.lastNotifiedAt,
      clearSince: next.clearSince,
      incidentId: current?.incidentId ?? null,
      acknowledgedAt: current?.acknowledgedAt ?? null,
      acknowledgedBy: current?.acknowledgedBy ?? null,
    };
    if (rule.public && !c.internal)
      queries.push(...publicIncidentQueries(db, row, rule, c, step.transition, now));
    queries.push(upsertAlertQuery(db, row));
    queries.push(
      insertAlertEventQuery(db, {
        id: newId('ale', now),
        alertId,
        workspaceId,
        kind: step.transition,
        at: now,
        detail: c.active ? c.summary : null,
      }),
    );
    const rows: (typeof notifications.$inferInsert)[] = [];
    if (step.notify) {
      const kind = step.transition as 'fire' | 'remind' | 'resolve';
      const facts = {
        ruleId: c.ruleId,
        severity: rule.severity,
        deviceId: c.deviceId ?? null,
        firedAt: next.firedAt ?? now,
      };
      const recipients =
        kind === 'resolve'
          ? subscriptions
              .filter((s) => s.enabled && input.toldOfFiring.get(alertId)?.has(s.id))
              .map((s) => ({ subscriptionId: s.id, dueAt: now }))
          : recipientsOfFiring(subscriptions, { ...facts, firedAt: now });
      const suppression = suppressionOf(
        { ruleId: c.ruleId, deviceId: c.deviceId ?? null, componentIds: c.componentIds ?? [] },
        now,
        input.silences,
        input.maintenances,
      );
      for (const r of recipients) {
        const sub = subscriptions.find((s) => s.id === r.subscriptionId)!;
        rows.push({
          id: newId('ntf', now),
          workspaceId,
          alertId,
          subscriptionId: r.subscriptionId,
          channel: sub.channel,
          kind,
          groupKey: c.ruleId,
          dedupKey: `${alertId}:${kind}:${now}:${r.subscriptionId}`,
          status: suppression ? 'suppressed' : 'pending',
          reason: suppression ? `${suppression.by} ${suppression.id}` : null,
          dueAt: r.dueAt,
          nextAttemptAt: r.dueAt,
          deadlineAt: r.dueAt + NOTIFICATION_DEADLINE_MS,
          createdAt: now,
        });
      }
      if (rows.length > 0) queries.push(insertNotificationsQuery(db, rows));
    }
    transitions.push({
      alertId,
      ruleId: c.ruleId,
      subject: c.subject,
      kind: step.transition,
      notifications: rows.filter((r) => r.status === 'pending').length,
      suppressed: rows.filter((r) => r.status === 'suppressed').length,
    });
  }
  return { queries, transitions };
}

const IMPACT: Record<AlertRule['severity'], 'minor' | 'major'> = {
  page: 'major',
  ticket: 'minor',
  info: 'minor',
};

/**
 * A public rule speaks on the status page: when its alert fires it opens an incident on the condition's
 * components, saying it was opened automatically and why; when the alert resolves, it resolves the
 * incident unless an admin already did. Written in the same batch as the transition (sets `row.incidentId`).
 */
function publicIncidentQueries(
  db: Db,
  row: Alert,
  rule: AlertRule,
  c: Condition,
  transition: 'pending' | 'fire' | 'remind' | 'resolve',
  now: number,
) {
  if (transition === 'fire' && !row.incidentId) {
    const id = newId('inc', now);
    const updateId = newId('inu', now);
    row.incidentId = id;
    return [
      db.insert(incidents).values({
        id,
        workspaceId: row.workspaceId,
        name: `${rule.name}: ${c.subjectName}`,
        status: 'investigating',
        impact: IMPACT[rule.severity],
        componentIds: c.componentIds ?? [],
        startedAt: now,
        createdAt: now,
        updatedAt: now,
        monitoringAt: null,
        resolvedAt: null,
      }),
      db.insert(incidentUpdates).values({
        id: updateId,
        incidentId: id,
        workspaceId: row.workspaceId,
        status: 'investigating',
        body: `Opened automatically by Lifeline's monitoring. ${c.summary}. We are looking into it.`,
        createdAt: now,
      }),
      ...announceQueries(db, {
        workspaceId: row.workspaceId,
        kind: 'incident_update',
        incidentId: id,
        incidentUpdateId: updateId,
        now,
      }),
    ];
  }
  if (transition === 'resolve' && row.incidentId) {
    const open = and(eq(incidents.id, row.incidentId), isNull(incidents.resolvedAt));
    const updateId = newId('inu', now);
    return [
      db.insert(incidentUpdates).select(
        db
          .select({
            id: sql<string>`${updateId}`.as('id'),
            incidentId: incidents.id,
            workspaceId: incidents.workspaceId,
            status: sql<'resolved'>`'resolved'`.as('status'),
            body: sql<string>`${'Resolved automatically: the monitoring shows the condition has cleared.'}`.as(
              'body',
            ),
            createdAt: sql<number>`${now}`.as('created_at'),
          })
          .from(incidents)
          .where(open),
      ),
      // Announced only if the update above was written (an admin may have resolved it already).
      ...announceQueries(db, {
        workspaceId: row.workspaceId,
        kind: 'incident_update',
        incidentId: row.incidentId,
        incidentUpdateId: updateId,
        now,
      }),
      db.update(incidents).set({ status: 'resolved', resolvedAt: now, updatedAt: now }).where(open),
    ];
  }
  return [];
}

export async function applyEvaluation(db: Db, input: EvaluationInput): Promise<AppliedTransition[]> {
  const { queries, transitions } = planEvaluation(db, input);
  const [first, ...rest] = queries;
  if (first) await db.batch([first, ...rest]);
  return transitions;
}
