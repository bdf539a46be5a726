import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import {
  expireSilence,
  findAlertWithTimeline,
  insertAlertRulesQuery,
  listAlertRules,
  listAlertSubscriptions,
  listAlerts,
  listNotificationAttempts,
  listNotifications,
  listSilences,
  newId,
  removeAlertSubscription,
} from '@lifeline/db';
import type { Alert, AlertRule, AlertSubscription, Silence } from '@lifeline/db/schema';
import { acknowledgeAlert } from '../alerting/acknowledge.ts';
import {
  addAlertSubscription,
  addSilence,
  changeAlertRule,
  changeAlertSubscription,
  checkRuleParams,
  testAlertSubscription,
} from '../alerting/admin.ts';
import {
  alertIdParam,
  alertListQuery,
  alertRulePatchSchema,
  alertRuleSchema,
  alertSchema,
  alertSubscriptionPatchSchema,
  alertSubscriptionSchema,
  newAlertSubscriptionSchema,
  newSilenceSchema,
  notificationListQuery,
  notificationSchema,
  silenceSchema,
  subscriptionTestSchema,
} from '../contract/alerts.ts';
import { errorSchema } from '../contract/errors.ts';
import { requireAdmin } from '../http/auth.ts';
import type { AppEnv } from '../http/env.ts';
import { ApiError } from '../http/errors.ts';
import { errorResponses, jsonBody, jsonContent } from '../http/openapi.ts';

const tags = ['Alerts'];
const security = [{ apiKey: [] }];

export const ruleView = (r: AlertRule) => ({ ...r, params: r.params as Record<string, unknown> });
export const alertView = (
  a: Alert & { timeline: { kind: string; at: number; detail: string | null }[] },
) => ({
  id: a.id,
  ruleId: a.ruleId,
  state: a.state,
  severity: a.severity,
  subject: { type: a.subjectType, id: a.subjectId, name: a.subjectName },
  summary: a.summary,
  startedAt: a.startedAt,
  firedAt: a.firedAt,
  resolvedAt: a.resolvedAt,
  acknowledged: a.acknowledgedAt === null ? null : { at: a.acknowledgedAt, by: a.acknowledgedBy ?? '' },
  timeline: a.timeline.map((e) => ({ kind: e.kind as 'fire', at: e.at, detail: e.detail })),
});
export const subscriptionView = (s: AlertSubscription) => ({
  id: s.id,
  channel: s.channel,
  target: s.target,
  label: s.label,
  severities: s.severities,
  ruleIds: s.ruleIds,
  deviceIds: s.deviceIds,
  delayMs: s.delayMs,
  unacknowledgedOnly: s.unacknowledgedOnly,
  enabled: s.enabled,
  createdAt: s.createdAt,
});
export const silenceView = (s: Silence) => ({
  id: s.id,
  ruleId: s.ruleId,
  deviceId: s.deviceId,
  componentId: s.componentId,
  comment: s.comment,
  startsAt: s.startsAt,
  endsAt: s.endsAt,
  createdAt: s.createdAt,
});

export const alertRoutes = new OpenAPIHono<AppEnv>()
  .openapi(
    createRoute({
      method: 'get',
      path: '/v1/alert-rules',
      tags,
      security,
      middleware: [requireAdmin] as const,
      summary: "The workspace's alert rules (the defaults are created with the workspace)",
      responses: {
        200: jsonContent(z.object({ rules: z.array(alertRuleSchema) }), 'Rules'),
        ...errorResponses(401),
      },
    }),
    async (c) =>
      c.json({ rules: (await listAlertRules(c.var.deps.db, c.var.admin.workspaceId)).map(ruleView) }, 200),
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/v1/alert-rules',
      tags,
      security,
      middleware: [requireAdmin] as const,
      summary: 'Add a rule (for example a second queue backlog rule with another threshold)',
      request: {
        body: jsonBody(
          alertRulePatchSchema.extend({
            kind: alertRuleSchema.shape.kind,
            name: z.string().min(1).max(100),
            params: z.record(z.string(), z.unknown()),
          }),
        ),
      },
      responses: { 201: jsonContent(alertRuleSchema, 'The rule'), ...errorResponses(400, 401, 413, 415) },
    }),
    async (c) => {
      const { db, clock } = c.var.deps;
      const body = c.req.valid('json');
      const now = clock.now();
      const row: AlertRule = {
        id: newId('rul', now),
        workspaceId: c.var.admin.workspaceId,
        kind: body.kind,
        name: body.name,
        severity: body.severity ?? 'page',
        forMs: body.forMs ?? 0,
        repeatIntervalMs: body.repeatIntervalMs ?? 4 * 3_600_000,
        params: checkRuleParams(body.kind, body.params),
        enabled: body.enabled ?? true,
        public: body.public ?? false,
        createdAt: now,
        updatedAt: now,
      };
      await insertAlertRulesQuery(db, [row]);
      return c.json(ruleView(row), 201);
    },
  )
  .openapi(
    createRoute({
      method: 'patch',
      path: '/v1/alert-rules/{id}',
      tags,
      security,
      middleware: [requireAdmin] as const,
      summary: 'Change or disable a rule',
      request: { params: alertIdParam, body: jsonBody(alertRulePatchSchema) },
      responses: {
        200: jsonContent(alertRuleSchema, 'The rule'),
        ...errorResponses(400, 401, 404, 413, 415),
      },
    }),
    async (c) => {
      const { db, clock } = c.var.deps;
      const updated = await changeAlertRule(
        db,
        c.var.admin.workspaceId,
        c.req.valid('param').id,
        c.req.valid('json'),
        clock.now(),
      );
      return c.json(ruleView(updated), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/v1/alerts',
      tags,
      security,
      middleware: [requireAdmin] as const,
      summary: 'Alerts, firing and past, newest first, each with its timeline',
      request: { query: alertListQuery },
      responses: {
        200: jsonContent(
          z.object({ alerts: z.array(alertSchema), nextBefore: z.number().int().nullable() }),
          'Alerts',
        ),
        ...errorResponses(400, 401),
      },
    }),
    async (c) => {
      const q = c.req.valid('query');
      const rows = await listAlerts(c.var.deps.db, c.var.admin.workspaceId, q);
      return c.json(
        { alerts: rows.map(alertView), nextBefore: rows.length === q.limit ? rows.at(-1)!.startedAt : null },
        200,
      );
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/v1/alerts/{id}',
      tags,
      security,
      middleware: [requireAdmin] as const,
      summary: 'One alert with its timeline',
      request: { params: alertIdParam },
      responses: { 200: jsonContent(alertSchema, 'The alert'), ...errorResponses(401, 404) },
    }),
    async (c) => {
      const { db } = c.var.deps;
      const { workspaceId } = c.var.admin;
      const alert = await findAlertWithTimeline(db, workspaceId, c.req.valid('param').id);
      if (!alert) throw new ApiError(404, 'not_found', 'No such alert in this workspace.');
      return c.json(alertView(alert), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/v1/alerts/{id}/acknowledge',
      tags,
      security,
      middleware: [requireAdmin] as const,
      summary: 'Acknowledge an open alert: no more reminders; its resolution is still told',
      request: { params: alertIdParam },
      responses: { 200: jsonContent(alertSchema, 'The alert'), ...errorResponses(401, 403, 404, 409) },
    }),
    async (c) => {
      const { db, clock } = c.var.deps;
      const { workspaceId, label } = c.var.admin;
      const { id } = c.req.valid('param');
      await acknowledgeAlert(db, workspaceId, id, label, clock.now());
      return c.json(alertView((await findAlertWithTimeline(db, workspaceId, id))!), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/v1/notifications',
      tags,
      security,
      middleware: [requireAdmin] as const,
      summary: 'Alert notifications, newest first, each with every delivery attempt and its result',
      request: { query: notificationListQuery },
      responses: {
        200: jsonContent(z.object({ notifications: z.array(notificationSchema) }), 'Notifications'),
        ...errorResponses(400, 401),
      },
    }),
    async (c) => {
      const { db } = c.var.deps;
      const { workspaceId } = c.var.admin;
      const rows = await listNotifications(db, workspaceId, c.req.valid('query'));
      const attempts = await listNotificationAttempts(db, workspaceId, [
        ...new Set(rows.map((r) => r.messageId).filter((m): m is string => m !== null)),
      ]);
      return c.json(
        {
          notifications: rows.map((n) => ({
            id: n.id,
            alertId: n.alertId,
            subscriptionId: n.subscriptionId,
            channel: n.channel,
            kind: n.kind,
            status: n.status,
            reason: n.reason,
            attempts: n.attempts,
            dueAt: n.dueAt,
            nextAttemptAt: n.nextAttemptAt,
            lastError: n.lastError,
            lastStatusCode: n.lastStatusCode,
            createdAt: n.createdAt,
            deliveredAt: n.deliveredAt,
            attemptLog: attempts
              .filter((a) => a.notificationIds.includes(n.id))
              .map((a) => ({ at: a.at, ok: a.ok, statusCode: a.statusCode, error: a.error, title: a.title })),
          })),
        },
        200,
      );
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/v1/alert-subscriptions/push-key',
      tags,
      security,
      middleware: [requireAdmin] as const,
      summary: 'The VAPID public key a browser subscribes with (`applicationServerKey`)',
      responses: {
        200: jsonContent(z.object({ publicKey: z.string() }), 'The key'),
        ...errorResponses(401),
        503: jsonContent(errorSchema, 'Web push is not available on this runtime'),
      },
    }),
    async (c) => {
      const key = c.var.deps.alerts?.vapidPublicKey;
      if (!key)
        throw new ApiError(
          503,
          'web_push_unavailable',
          'Web push is not available here (no SECRETS_KEY, or on Workers).',
        );
      return c.json({ publicKey: key }, 200);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/v1/alert-subscriptions',
      tags,
      security,
      middleware: [requireAdmin] as const,
      summary: 'Who hears of alerts: email, web push and webhook subscriptions',
      responses: {
        200: jsonContent(z.object({ subscriptions: z.array(alertSubscriptionSchema) }), 'Subscriptions'),
        ...errorResponses(401),
      },
    }),
    async (c) =>
      c.json(
        {
          subscriptions: (await listAlertSubscriptions(c.var.deps.db, c.var.admin.workspaceId)).map(
            subscriptionView,
          ),
        },
        200,
      ),
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/v1/alert-subscriptions',
      tags,
      security,
      middleware: [requireAdmin] as const,
      summary: 'Subscribe an email address, a browser (web push) or a webhook to alerts, with filters',
      request: { body: jsonBody(newAlertSubscriptionSchema) },
      responses: {
        201: jsonContent(alertSubscriptionSchema, 'The subscription (a webhook’s secret shown once)'),
        ...errorResponses(400, 401, 409, 413, 415),
        503: jsonContent(errorSchema, 'No SECRETS_KEY to seal a webhook secret with'),
      },
    }),
    async (c) => {
      const { row, secret } = await addAlertSubscription(
        c.var.deps,
        c.var.admin.workspaceId,
        c.req.valid('json'),
        c.var.deps.clock.now(),
      );
      return c.json({ ...subscriptionView(row), ...(secret ? { secret } : {}) }, 201);
    },
  )
  .openapi(
    createRoute({
      method: 'patch',
      path: '/v1/alert-subscriptions/{id}',
      tags,
      security,
      middleware: [requireAdmin] as const,
      summary: "Change a subscription's filters, delay or label, or pause it",
      request: { params: alertIdParam, body: jsonBody(alertSubscriptionPatchSchema) },
      responses: {
        200: jsonContent(alertSubscriptionSchema, 'The subscription'),
        ...errorResponses(400, 401, 404, 413, 415),
      },
    }),
    async (c) => {
      const row = await changeAlertSubscription(
        c.var.deps.db,
        c.var.admin.workspaceId,
        c.req.valid('param').id,
        c.req.valid('json'),
      );
      return c.json(subscriptionView(row), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/v1/alert-subscriptions/{id}',
      tags,
      security,
      middleware: [requireAdmin] as const,
      summary: 'Unsubscribe (what was still pending for it is dropped)',
      request: { params: alertIdParam },
      responses: { 204: { description: 'Removed' }, ...errorResponses(401, 404) },
    }),
    async (c) => {
      const removed = await removeAlertSubscription(c.var.deps.db, {
        workspaceId: c.var.admin.workspaceId,
        id: c.req.valid('param').id,
        reason: 'removed by an admin',
        now: c.var.deps.clock.now(),
      });
      if (!removed) throw new ApiError(404, 'not_found', 'No such alert subscription in this workspace.');
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/v1/alert-subscriptions/{id}/test',
      tags,
      security,
      middleware: [requireAdmin] as const,
      summary: 'Send a test message to a subscription now, and see what its channel answered',
      description:
        'Outside the outbox: nothing is recorded or retried, and a subscription whose destination is gone is not removed.',
      request: { params: alertIdParam },
      responses: {
        200: jsonContent(
          subscriptionTestSchema,
          'What the channel answered (`delivered: false` with its error)',
        ),
        ...errorResponses(401, 404),
        503: jsonContent(errorSchema, 'Alert delivery is not set up on this runtime'),
      },
    }),
    async (c) =>
      c.json(
        await testAlertSubscription(
          c.var.deps,
          c.var.admin.workspaceId,
          c.req.valid('param').id,
          c.var.deps.clock.now(),
        ),
        200,
      ),
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/v1/silences',
      tags,
      security,
      middleware: [requireAdmin] as const,
      summary: 'Silences in force or scheduled',
      responses: {
        200: jsonContent(z.object({ silences: z.array(silenceSchema) }), 'Silences'),
        ...errorResponses(401),
      },
    }),
    async (c) =>
      c.json(
        {
          silences: (await listSilences(c.var.deps.db, c.var.admin.workspaceId, c.var.deps.clock.now())).map(
            silenceView,
          ),
        },
        200,
      ),
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/v1/silences',
      tags,
      security,
      middleware: [requireAdmin] as const,
      summary: 'Silence notifications by rule, device or component until a time (alerts are still recorded)',
      request: { body: jsonBody(newSilenceSchema) },
      responses: { 201: jsonContent(silenceSchema, 'The silence'), ...errorResponses(400, 401, 413, 415) },
    }),
    async (c) => {
      const { db, clock } = c.var.deps;
      const row = await addSilence(db, c.var.admin.workspaceId, c.req.valid('json'), clock.now());
      return c.json(silenceView(row), 201);
    },
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/v1/silences/{id}',
      tags,
      security,
      middleware: [requireAdmin] as const,
      summary: 'End a silence now',
      request: { params: alertIdParam },
      responses: { 204: { description: 'Ended' }, ...errorResponses(401, 404) },
    }),
    async (c) => {
      const ended = await expireSilence(
        c.var.deps.db,
        c.var.admin.workspaceId,
        c.req.valid('param').id,
        c.var.deps.clock.now(),
      );
      if (!ended) throw new ApiError(404, 'not_found', 'No silence in force with this id in this workspace.');
      return c.body(null, 204);
    },
  );
