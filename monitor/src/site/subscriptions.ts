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
  return {
    async subscribeEmail(workspaceId, email, now) {
      const parsed = newStatusSubscriptionSchema.safeParse({ channel: 'email', email });
      if (!parsed.success) return 'invalid';
      try {
        await subscribe(deps, workspaceId, parsed.data, now);
        return 'pending';
      } catch (err) {
        if (err instanceof ApiError && err.status === 503) return 'unavailable';
        if (err instanceof ApiError && err.status === 429) return 'busy';
        throw err;
      }
    },
    async subscribeChat(workspaceId, channel, url, now) {
      const parsed = newStatusSubscriptionSchema.safeParse({ channel, url });
      if (!parsed.success) return 'invalid';
      try {
        await subscribe(deps, workspaceId, parsed.data, now);
        return 'subscribed';
      } catch (err) {
        if (err instanceof ApiError && err.status === 400) return 'invalid';
        if (err instanceof ApiError && err.status === 503) return 'unavailable';
        if (err instanceof ApiError && err.status === 429) return 'busy';
        throw err;
      }
    },
    pushPublicKey: () => deps.alerts?.vapidPublicKey ?? null,
    addByAdmin: (workspaceId, body, now) =>
      attempt(newStatusSubscriptionSchema, body, async (parsed) => {
        const { secret } = await subscribe(deps, workspaceId, parsed, now, 'admin');
        return secret ? { secret } : {};
      }),
  };
}
