/**
 * What the alerts API (`routes/alerts.ts`) and the admin pages (`site/read-model.ts`) both do when an
 * admin changes the alerting setup: rule changes checked against each kind's parameters, subscriptions
 * (a webhook's secret generated and sealed here, shown once), silences. Callers validate their input
 * with the contract's schemas first; these throw `ApiError` for what only the database can tell.
 */

import { redactChatUrl, sendTestNotification } from '@lifeline/alerts';
import {
  findAlertRule,
  insertAlertSubscription,
  insertSilence,
  listAlertSubscriptions,
  newId,
  updateAlertRule,
  updateAlertSubscription,
} from '@lifeline/db';
import type { AlertRule, AlertSubscription, Silence } from '@lifeline/db/schema';
import type { z } from 'zod';
import {
  type alertRulePatchSchema,
  type alertSubscriptionPatchSchema,
  type newAlertSubscriptionSchema,
  type newSilenceSchema,
  ruleParamsSchemas,
} from '../contract/alerts.ts';
import type { Deps } from '../deps.ts';
import { ApiError, validationError } from '../http/errors.ts';
import { generateWebhookSecret } from '../webhooks/signing.ts';
import { alertDispatchDeps, alertWebhookSecretContext } from './channels.ts';

export const MAX_ALERT_SUBSCRIPTIONS = 100;

export type AlertRulePatch = z.output<typeof alertRulePatchSchema>;
export type NewAlertSubscription = z.output<typeof newAlertSubscriptionSchema>;
export type AlertSubscriptionPatch = z.output<typeof alertSubscriptionPatchSchema>;
export type NewSilence = z.output<typeof newSilenceSchema>;

/** A rule kind's parameters, whole, or a 400 naming the field (`params.depth`). */
export function checkRuleParams(kind: AlertRule['kind'], params: unknown): Record<string, unknown> {
  const result = ruleParamsSchemas[kind].safeParse(params);
  if (!result.success) {
    const err = validationError(result.error, 'body');
    throw new ApiError(400, err.code, err.message, `params${err.field ? `.${err.field}` : ''}`);
  }
  return result.data as Record<string, unknown>;
}

/** Changes a rule (its parameters checked against its kind); a 404 for a rule of another workspace. */
export async function changeAlertRule(
  db: Deps['db'],
  workspaceId: string,
  id: string,
  patch: AlertRulePatch,
  now: number,
): Promise<AlertRule> {
  const rule = await findAlertRule(db, workspaceId, id);
  if (!rule) throw new ApiError(404, 'not_found', 'No such alert rule in this workspace.');
  const { params, ...rest } = patch;
  const updated = await updateAlertRule(db, workspaceId, rule.id, {
    ...rest,
    ...(params !== undefined ? { params: checkRuleParams(rule.kind, params) } : {}),
    updatedAt: now,
  });
  return updated!;
}

/**
 * Subscribes an email address, a browser, a webhook or a chat room (Slack, Discord). A webhook gets a fresh
 * signing secret, sealed with the secret box bound to the subscription's id and returned once; a chat
 * webhook's URL is sealed the same way and only its redacted form is stored in the clear.
 */
export async function addAlertSubscription(
  deps: Pick<Deps, 'db' | 'secretBox'>,
  workspaceId: string,
  body: NewAlertSubscription,
  now: number,
): Promise<{ row: AlertSubscription; secret?: string }> {
  const { db, secretBox } = deps;
  const existing = await listAlertSubscriptions(db, workspaceId);
  if (existing.length >= MAX_ALERT_SUBSCRIPTIONS)
    throw new ApiError(
      409,
      'too_many_subscriptions',
      `A workspace may have at most ${MAX_ALERT_SUBSCRIPTIONS} alert subscriptions.`,
    );
  if (body.unacknowledgedOnly && body.delayMs === 0) throw escalationNeedsDelay();
  const id = newId('asb', now);
  const target =
    body.channel === 'email'
      ? body.email
      : body.channel === 'webhook'
        ? body.url
        : body.channel === 'web_push'
          ? body.subscription.endpoint
          : redactChatUrl(body.url);
  const duplicate = existing.find((s) => s.channel === body.channel && s.target === target);
  if (duplicate)
    throw new ApiError(
      409,
      'already_subscribed',
      `This ${body.channel} target is subscribed already (${duplicate.id}).`,
      body.channel === 'web_push' ? 'subscription.endpoint' : body.channel === 'email' ? 'email' : 'url',
    );
  let secret: string | undefined;
  let secretCiphertext: string | null = null;
  if (body.channel === 'webhook' || body.channel === 'slack' || body.channel === 'discord') {
    if (!secretBox)
      throw new ApiError(503, 'secrets_key_missing', `Set SECRETS_KEY to add ${body.channel} subscriptions.`);
    // A webhook gets a signing secret; a chat webhook's URL is itself the secret.
    const sealed = body.channel === 'webhook' ? generateWebhookSecret() : body.url;
    if (body.channel === 'webhook') secret = sealed;
    secretCiphertext = await secretBox.seal(sealed, alertWebhookSecretContext(id));
  }
  const row: AlertSubscription = {
    id,
    workspaceId,
    channel: body.channel,
    target,
    label: body.label ?? null,
    pushKeys: body.channel === 'web_push' ? body.subscription.keys : null,
    secretCiphertext,
    severities: body.severities,
    ruleIds: body.ruleIds,
    deviceIds: body.deviceIds,
    delayMs: body.delayMs,
    unacknowledgedOnly: body.unacknowledgedOnly,
    enabled: true,
    createdAt: now,
    removedAt: null,
    removedReason: null,
  };
  await insertAlertSubscription(db, row);
  return secret ? { row, secret } : { row };
}

function escalationNeedsDelay(): ApiError {
  return new ApiError(
    400,
    'invalid_request',
    'unacknowledgedOnly needs a delayMs: an escalation waits that long for someone to acknowledge.',
    'unacknowledgedOnly',
  );
}

/** Changes a subscription's filters, delay or label; an escalation keeps a delay. A 404 for another workspace's. */
export async function changeAlertSubscription(
  db: Deps['db'],
  workspaceId: string,
  id: string,
  patch: AlertSubscriptionPatch,
): Promise<AlertSubscription> {
  const current = (await listAlertSubscriptions(db, workspaceId)).find((s) => s.id === id);
  if (!current) throw new ApiError(404, 'not_found', 'No such alert subscription in this workspace.');
  const after = { ...current, ...patch };
  if (after.unacknowledgedOnly && after.delayMs === 0) throw escalationNeedsDelay();
  const row = await updateAlertSubscription(db, workspaceId, id, patch);
  if (!row) throw new ApiError(404, 'not_found', 'No such alert subscription in this workspace.');
  return row;
}

/** Sends a test message to one of the workspace's subscriptions now; what its channel answered. */
export async function testAlertSubscription(
  deps: Pick<Deps, 'db' | 'alerts' | 'publicUrl'>,
  workspaceId: string,
  id: string,
  now: number,
): Promise<{ delivered: boolean; status: number | null; error: string | null }> {
  const sub = (await listAlertSubscriptions(deps.db, workspaceId)).find((s) => s.id === id);
  if (!sub) throw new ApiError(404, 'not_found', 'No such alert subscription in this workspace.');
  if (!deps.alerts) throw new ApiError(503, 'alerts_unavailable', 'Alert delivery is not set up here.');
  const result = await sendTestNotification(alertDispatchDeps(deps), sub, now);
  return result.ok
    ? { delivered: true, status: result.status ?? null, error: null }
    : { delivered: false, status: result.status ?? null, error: result.error.slice(0, 300) };
}

/** A silence from now (or `startsAt`) until `endsAt`, which must be in the future. */
export async function addSilence(
  db: Deps['db'],
  workspaceId: string,
  body: NewSilence,
  now: number,
): Promise<Silence> {
  const startsAt = body.startsAt ?? now;
  if (body.endsAt <= Math.max(startsAt, now))
    throw new ApiError(400, 'invalid_request', 'endsAt must be after startsAt and in the future.', 'endsAt');
  const row: Silence = {
    id: newId('sil', now),
    workspaceId,
    ruleId: body.ruleId ?? null,
    deviceId: body.deviceId ?? null,
    componentId: body.componentId ?? null,
    comment: body.comment ?? null,
    startsAt,
    endsAt: body.endsAt,
    createdAt: now,
  };
  await insertSilence(db, row);
  return row;
}
