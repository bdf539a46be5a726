/**
 * Public subscriptions: a visitor (or an admin for them) subscribes to a workspace's incident and
 * maintenance updates by email, web push or webhook; confirms an email address (double opt-in); and
 * leaves with one click. The same functions serve the public endpoints, the `/v1/subscriptions` API and
 * the status page's form.
 *
 * Confirmation and unsubscribe links carry `<subscriber id>.<HMAC>` under keys derived from SECRETS_KEY
 * for each purpose, so no token is stored at all and a confirm link cannot unsubscribe (nor the other
 * way round). Rotating SECRETS_KEY invalidates the links in emails already sent.
 */
import { redactChatUrl } from '@lifeline/alerts';
import {
  addEmailSubscriber,
  addEndpointSubscriber,
  confirmStatusSubscriber,
  countConfirmationsSince,
  countStatusSubscribers,
  countSubscribersSince,
  findStatusSubscriber,
  findStatusSubscriberByEndpoint,
  newId,
  unsubscribeStatusSubscriber,
} from '@lifeline/db';
import type { StatusSubscriber } from '@lifeline/db/schema';
import type { NewStatusSubscription } from '../contract/subscriptions.ts';
import type { Deps } from '../deps.ts';
import { ApiError } from '../http/errors.ts';
import { ipLiteralOf, isBlockedAddress, isLocalName } from '../probes/ssrf.ts';
import type { SecretBox } from '../secret-box.ts';
import { generateWebhookSecret } from '../webhooks/signing.ts';

const HOUR = 3_600_000;
/** At most this many live (pending or confirmed) subscribers per workspace. */
export const MAX_STATUS_SUBSCRIBERS = 100_000;
/**
 * At most this many confirmation emails per workspace per hour: anyone can type addresses into the form,
 * and each address already gets at most one email per 10 minutes; this caps the total, so a status page
 * cannot be used to send mail to a list of strangers.
 */
export const MAX_CONFIRMATIONS_PER_HOUR = 500;
/**
 * At most this many new subscribers per workspace per hour, any channel: browsers and webhooks need no
 * confirmation, and each is a request Lifeline makes on every announcement, so strangers must not be able
 * to register them by the thousand.
 */
export const MAX_NEW_SUBSCRIBERS_PER_HOUR = 500;
/** Where a public webhook subscription's sealed secret is bound. */
export const statusWebhookSecretContext = (subscriberId: string) => `status_subscriber:${subscriberId}`;

export type LinkPurpose = 'confirm' | 'unsubscribe';
const MAC_CHARS = 32;

export async function subscriberToken(box: SecretBox, purpose: LinkPurpose, id: string): Promise<string> {
  return `${id}.${(await box.mac(purpose, id)).slice(0, MAC_CHARS)}`;
}

/** The subscriber id a token names, or null if it was not made by this installation for this purpose. */
export async function readSubscriberToken(
  box: SecretBox,
  purpose: LinkPurpose,
  token: string,
): Promise<string | null> {
  const dot = token.lastIndexOf('.');
  if (dot <= 0 || token.length > 120) return null;
  const id = token.slice(0, dot);
  const expected = (await box.mac(purpose, id)).slice(0, MAC_CHARS);
  return constantTimeEqual(token.slice(dot + 1), expected) ? id : null;
}

function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** The links a subscriber's messages carry. */
export async function subscriberLinks(box: SecretBox, publicUrl: string, id: string) {
  const [confirm, unsubscribe] = await Promise.all([
    subscriberToken(box, 'confirm', id),
    subscriberToken(box, 'unsubscribe', id),
  ]);
  return {
    confirmUrl: `${publicUrl}/subscriptions/confirm?token=${encodeURIComponent(confirm)}`,
    unsubscribeUrl: `${publicUrl}/subscriptions/unsubscribe?token=${encodeURIComponent(unsubscribe)}`,
  };
}

/**
 * A push endpoint or webhook URL given by a member of the public must not point Lifeline at itself or its
 * network (SSRF): no loopback, private or link-local literals, no local names; push endpoints are https.
 */
export function checkSubscriptionTarget(
  raw: string,
  field: string,
  opts: { allowPrivate: boolean; httpsOnly: boolean },
): void {
  const url = new URL(raw);
  if (opts.allowPrivate) return;
  if (opts.httpsOnly && url.protocol !== 'https:')
    throw new ApiError(400, 'invalid_field', 'must be an https:// URL', field);
  const literal = ipLiteralOf(url.hostname);
  if (isLocalName(url.hostname) || (literal !== null && isBlockedAddress(literal)))
    throw new ApiError(
      400,
      'target_not_allowed',
      'must be a public address (not loopback, private, link-local or a local name)',
      field,
    );
}

export interface SubscribeOutcome {
  status: 'pending' | 'confirmed';
  subscriber: StatusSubscriber;
  /** Webhook: the signing secret, shown once. */
  secret?: string;
  confirmationQueued: boolean;
}

type SubscribeDeps = Pick<Deps, 'db' | 'secretBox' | 'allowPrivateSubscriptionTargets'>;

/**
 * Subscribes someone to a workspace's status page. `by` says who asked: a visitor is held to the hourly
 * caps; an admin (adding subscribers through the API) is not.
 */
export async function subscribe(
  deps: SubscribeDeps,
  workspaceId: string,
  body: NewStatusSubscription,
  now: number,
  by: 'visitor' | 'admin' = 'visitor',
): Promise<SubscribeOutcome> {
  const { db, secretBox } = deps;
  const allowPrivate = deps.allowPrivateSubscriptionTargets === true;
  if (!secretBox)
    throw new ApiError(
      503,
      'secrets_key_missing',
      'Subscriptions need SECRETS_KEY (to sign their links and secrets) on this installation.',
    );
  const live =
    (await countStatusSubscribers(db, workspaceId, 'pending')) +
    (await countStatusSubscribers(db, workspaceId, 'confirmed'));
  if (live >= MAX_STATUS_SUBSCRIBERS)
    throw new ApiError(409, 'too_many_subscriptions', 'This status page has too many subscribers.');
  if (
    by === 'visitor' &&
    (await countSubscribersSince(db, workspaceId, now - HOUR)) >= MAX_NEW_SUBSCRIBERS_PER_HOUR
  )
    throw new ApiError(
      429,
      'too_many_requests',
      'Too many new subscriptions right now: try again in an hour.',
    );
  switch (body.channel) {
    case 'email': {
      if (
        by === 'visitor' &&
        (await countConfirmationsSince(db, workspaceId, now - HOUR)) >= MAX_CONFIRMATIONS_PER_HOUR
      )
        throw new ApiError(
          429,
          'too_many_requests',
          'Too many new email subscriptions right now: try again in an hour.',
        );
      const { subscriber, confirmationQueued } = await addEmailSubscriber(db, {
        workspaceId,
        email: body.email,
        now,
      });
      return { status: 'pending', subscriber, confirmationQueued };
    }
    case 'web_push': {
      const { endpoint, keys } = body.subscription;
      checkSubscriptionTarget(endpoint, 'subscription.endpoint', { allowPrivate, httpsOnly: true });
      const existing = await findStatusSubscriberByEndpoint(db, workspaceId, endpoint);
      const subscriber = await addEndpointSubscriber(db, {
        id: existing?.id ?? newId('sub', now),
        workspaceId,
        channel: 'web_push',
        endpoint,
        pushKeys: { p256dh: keys.p256dh, auth: keys.auth },
        now,
      });
      return { status: 'confirmed', subscriber, confirmationQueued: false };
    }
    case 'webhook': {
      checkSubscriptionTarget(body.url, 'url', { allowPrivate, httpsOnly: false });
      const existing = await findStatusSubscriberByEndpoint(db, workspaceId, body.url);
      const id = existing?.id ?? newId('sub', now);
      const secret = generateWebhookSecret();
      const subscriber = await addEndpointSubscriber(db, {
        id,
        workspaceId,
        channel: 'webhook',
        endpoint: body.url,
        secretCiphertext: await secretBox.seal(secret, statusWebhookSecretContext(id)),
        now,
      });
      return { status: 'confirmed', subscriber, secret, confirmationQueued: false };
    }
    case 'slack':
    case 'discord': {
      // The URL is the credential: sealed, and only its redacted form stored in the clear.
      checkSubscriptionTarget(body.url, 'url', { allowPrivate, httpsOnly: true });
      const endpoint = redactChatUrl(body.url);
      const existing = await findStatusSubscriberByEndpoint(db, workspaceId, endpoint);
      const id = existing?.id ?? newId('sub', now);
      const subscriber = await addEndpointSubscriber(db, {
        id,
        workspaceId,
        channel: body.channel,
        endpoint,
        secretCiphertext: await secretBox.seal(body.url, statusWebhookSecretContext(id)),
        now,
      });
      return { status: 'confirmed', subscriber, confirmationQueued: false };
    }
  }
}

export type TokenOutcome =
  | { ok: true; subscriber: StatusSubscriber; result: 'confirmed' | 'already_confirmed' | 'unsubscribed' }
  | { ok: false; reason: 'invalid_token' | 'not_found' | 'unavailable' };

/** Double opt-in: the link in the confirmation email. */
export async function confirmByToken(
  deps: Pick<Deps, 'db' | 'secretBox'>,
  token: string,
  now: number,
): Promise<TokenOutcome> {
  if (!deps.secretBox) return { ok: false, reason: 'unavailable' };
  const id = await readSubscriberToken(deps.secretBox, 'confirm', token);
  if (!id) return { ok: false, reason: 'invalid_token' };
  const outcome = await confirmStatusSubscriber(deps.db, { id, now });
  if (outcome === 'not_found') return { ok: false, reason: 'not_found' };
  const subscriber = (await findStatusSubscriber(deps.db, id))!;
  return {
    ok: true,
    subscriber,
    result:
      outcome === 'confirmed'
        ? 'confirmed'
        : outcome === 'already_confirmed'
          ? 'already_confirmed'
          : 'unsubscribed',
  };
}

/** The one-click unsubscribe link (RFC 8058) of every message a subscriber gets. Idempotent. */
export async function unsubscribeByToken(
  deps: Pick<Deps, 'db' | 'secretBox'>,
  token: string,
  now: number,
): Promise<TokenOutcome> {
  if (!deps.secretBox) return { ok: false, reason: 'unavailable' };
  const id = await readSubscriberToken(deps.secretBox, 'unsubscribe', token);
  if (!id) return { ok: false, reason: 'invalid_token' };
  await unsubscribeStatusSubscriber(deps.db, { id, reason: 'unsubscribed by link', now });
  const subscriber = await findStatusSubscriber(deps.db, id);
  if (!subscriber) return { ok: false, reason: 'not_found' };
  return { ok: true, subscriber, result: 'unsubscribed' };
}

/** A browser turning off its notifications: it must know the subscription's auth secret. */
export async function unsubscribePush(
  db: Deps['db'],
  workspaceId: string,
  input: { endpoint: string; auth: string },
  now: number,
): Promise<boolean> {
  const row = await findStatusSubscriberByEndpoint(db, workspaceId, input.endpoint);
  const keys = row?.channel === 'web_push' ? row.pushKeys : null;
  if (!row || !keys || !constantTimeEqual(keys.auth, input.auth)) return false;
  return unsubscribeStatusSubscriber(db, { id: row.id, reason: 'push turned off in the browser', now });
}
