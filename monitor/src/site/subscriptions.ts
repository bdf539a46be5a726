/** The status page's subscribe form, through the same service and validation as `POST /api/subscriptions`. */
import type { PublicSubscriptionsModel } from '../../../status-site/src/read-model.ts';
import { newStatusSubscriptionSchema } from '../contract/subscriptions.ts';
import type { Deps } from '../deps.ts';
import { ApiError } from '../http/errors.ts';
import { subscribe } from '../subscriptions/service.ts';
import { attempt } from './attempt.ts';

export function publicSubscriptionsModel(
  deps: Pick<Deps, 'db' | 'secretBox' | 'alerts' | 'allowPrivateSubscriptionTargets'>,
): PublicSubscriptionsModel {
  /** A visitor's subscription through the API's own validation and service, as the form's outcome. */
  async function visitor<T extends string>(workspaceId: string, body: unknown, now: number, done: T) {
    const parsed = newStatusSubscriptionSchema.safeParse(body);
    if (!parsed.success) return 'invalid' as const;
    try {
      await subscribe(deps, workspaceId, parsed.data, now);
      return done;
    } catch (err) {
      if (err instanceof ApiError && err.status === 400) return 'invalid' as const;
      if (err instanceof ApiError && err.status === 503) return 'unavailable' as const;
      if (err instanceof ApiError && err.status === 429) return 'busy' as const;
      throw err;
    }
  }
  return {
    subscribeEmail: (workspaceId, email, now) =>
      visitor(workspaceId, { channel: 'email', email }, now, 'pending'),
    subscribeChat: (workspaceId, channel, url, now) =>
      visitor(workspaceId, { channel, url }, now, 'subscribed'),
    pushPublicKey: () => deps.alerts?.vapidPublicKey ?? null,
    addByAdmin: (workspaceId, body, now) =>
      attempt(newStatusSubscriptionSchema, body, async (parsed) => {
        const { secret } = await subscribe(deps, workspaceId, parsed, now, 'admin');
        return secret ? { secret } : {};
      }),
  };
}
