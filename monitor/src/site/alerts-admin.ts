/**
 * The admin pages' alerting (`AlertsAdmin` in status-site/src/read-model.ts): the same schemas and the same
 * code as the alerts API (`routes/alerts.ts` through `alerting/admin.ts`), with refusals returned as
 * messages for the page to show instead of thrown as HTTP errors.
 */
import {
  expireSilence,
  listAlertRules,
  listAlertSubscriptions,
  listAlerts,
  listNotifications,
  listSilences,
  removeAlertSubscription,
} from '@lifeline/db';
import type { AlertRule } from '@lifeline/db/schema';
import type { AlertRuleRow, AlertsAdmin } from '../../../status-site/src/read-model.ts';
import { acknowledgeAlert } from '../alerting/acknowledge.ts';
import {
  addAlertSubscription,
  addSilence,
  changeAlertRule,
  testAlertSubscription,
} from '../alerting/admin.ts';
import { alertRulePatchSchema, newAlertSubscriptionSchema, newSilenceSchema } from '../contract/alerts.ts';
import type { Deps } from '../deps.ts';
import { ApiError } from '../http/errors.ts';
import { alertView, silenceView, subscriptionView } from '../routes/alerts.ts';
import { attempt } from './attempt.ts';

const ruleRow = (r: AlertRule): AlertRuleRow => ({
  id: r.id,
  kind: r.kind,
  name: r.name,
  severity: r.severity,
  forMs: r.forMs,
  repeatIntervalMs: r.repeatIntervalMs,
  params: r.params as Record<string, unknown>,
  enabled: r.enabled,
  public: r.public,
  updatedAt: r.updatedAt,
});

export function createAlertsAdmin(
  deps: Pick<Deps, 'db' | 'secretBox' | 'alerts' | 'publicUrl'>,
): AlertsAdmin {
  const { db } = deps;
  return {
    async rules(workspaceId) {
      return (await listAlertRules(db, workspaceId)).map(ruleRow);
    },
    async alerts(workspaceId, limit) {
      const [open, recent] = await Promise.all([
        Promise.all([
          listAlerts(db, workspaceId, { state: 'firing', limit: 200 }),
          listAlerts(db, workspaceId, { state: 'pending', limit: 200 }),
        ]),
        listAlerts(db, workspaceId, { limit }),
      ]);
      const first = open.flat().sort((a, b) => b.startedAt - a.startedAt);
      const seen = new Set(first.map((a) => a.id));
      return [...first, ...recent.filter((a) => !seen.has(a.id))].map((a) => ({
        ...alertView(a),
        timeline: a.timeline.map((e) => ({ kind: e.kind, at: e.at, detail: e.detail })),
      }));
    },
    async notifications(workspaceId, limit) {
      return (await listNotifications(db, workspaceId, { limit })).map((n) => ({
        id: n.id,
        alertId: n.alertId,
        subscriptionId: n.subscriptionId,
        channel: n.channel,
        kind: n.kind,
        status: n.status,
        reason: n.reason,
        attempts: n.attempts,
        nextAttemptAt: n.nextAttemptAt,
        lastError: n.lastError,
        lastStatusCode: n.lastStatusCode,
        createdAt: n.createdAt,
        deliveredAt: n.deliveredAt,
      }));
    },
    async subscriptions(workspaceId) {
      return (await listAlertSubscriptions(db, workspaceId)).map(subscriptionView);
    },
    async silences(workspaceId, now) {
      return (await listSilences(db, workspaceId, now)).map(silenceView);
    },
    updateRule: (workspaceId, id, patch, now) =>
      attempt(alertRulePatchSchema, patch, async (body) =>
        ruleRow(await changeAlertRule(db, workspaceId, id, body, now)),
      ),
    subscribe: (workspaceId, body, now) =>
      attempt(newAlertSubscriptionSchema, body, async (parsed) => {
        const { row, secret } = await addAlertSubscription(deps, workspaceId, parsed, now);
        return { ...subscriptionView(row), ...(secret ? { secret } : {}) };
      }),
    async testSubscription(workspaceId, id, now) {
      try {
        return { ok: true, value: await testAlertSubscription(deps, workspaceId, id, now) };
      } catch (err) {
        if (err instanceof ApiError) return { ok: false, error: err.message };
        throw err;
      }
    },
    unsubscribe: (workspaceId, id, now) =>
      removeAlertSubscription(db, { workspaceId, id, reason: 'removed by an admin', now }),
    silence: (workspaceId, body, now) =>
      attempt(newSilenceSchema, body, async (parsed) =>
        silenceView(await addSilence(db, workspaceId, parsed, now)),
      ),
    endSilence: (workspaceId, id, now) => expireSilence(db, workspaceId, id, now),
    async acknowledge(workspaceId, id, by, now) {
      try {
        await acknowledgeAlert(db, workspaceId, id, by, now);
        return { ok: true, value: null };
      } catch (err) {
        if (err instanceof ApiError) return { ok: false, error: err.message };
        throw err;
      }
    },
    pushPublicKey: () => deps.alerts?.vapidPublicKey ?? null,
  };
}
