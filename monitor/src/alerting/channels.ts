/**
 * The alert channels of this runtime: web push with the installation's VAPID key pair (generated on the
 * first start, its private half sealed with SECRETS_KEY), email through Resend when `RESEND_API_KEY` is
 * set or else to a local mail log, and signed webhooks (their secrets sealed the same way).
 */
import {
  createMailLogChannel,
  createResendChannel,
  createWebPushChannel,
  type EmailChannel,
  generateVapidKeys,
} from '@lifeline/alerts';
import { type Db, ensureInstanceSetting } from '@lifeline/db';
import type { Deps } from '../deps.ts';
import type { SecretBox } from '../secret-box.ts';

export interface AlertChannels {
  webPush: ReturnType<typeof createWebPushChannel> | null;
  email: EmailChannel | null;
  /** For browsers subscribing (`applicationServerKey`). */
  vapidPublicKey: string | null;
  openSecret: ((ciphertext: string, subscriptionId: string) => Promise<string>) | null;
  /**
   * For destinations the public chose (status page subscribers' push endpoints and webhooks): web push
   * and a fetch that refuse private addresses where the runtime can check (Node); else the same as above.
   */
  public: { webPush: ReturnType<typeof createWebPushChannel> | null; fetch: typeof fetch };
}

export interface AlertChannelOptions {
  db: Db;
  secretBox: SecretBox | null;
  now: number;
  /** `mailto:` or `https:` contact the push services see. */
  vapidSubject: string;
  resendApiKey?: string;
  resendBaseUrl?: string;
  emailFrom: string;
  /** Where emails go without a Resend key (Node only); null: nowhere, email subscriptions wait. */
  mailLogPath: string | null;
  /** How to reach destinations the public chose (Node: DNS-checked against private addresses). */
  publicFetch?: typeof fetch;
}

const VAPID_SETTING = 'vapid_keys';
/** Where an alert webhook's sealed secret is bound: a ciphertext copied to another row does not open. */
export const alertWebhookSecretContext = (subscriptionId: string) => `alert_subscription:${subscriptionId}`;

/** Push services want a contact: the public URL when it is https, else a placeholder mailbox. */
export function defaultVapidSubject(publicUrl: string | undefined): string {
  return publicUrl?.startsWith('https://') ? publicUrl : 'mailto:alerts@lifeline.invalid';
}

export async function createAlertChannels(o: AlertChannelOptions): Promise<AlertChannels> {
  let webPush: AlertChannels['webPush'] = null;
  let publicWebPush: AlertChannels['webPush'] = null;
  let vapidPublicKey: string | null = null;
  if (o.secretBox) {
    const box = o.secretBox;
    const fresh = generateVapidKeys();
    const candidate = JSON.stringify({
      publicKey: fresh.publicKey,
      privateKey: await box.seal(fresh.privateKey, VAPID_SETTING),
    });
    // Two processes starting together keep the first pair.
    const stored = JSON.parse(await ensureInstanceSetting(o.db, VAPID_SETTING, candidate, o.now));
    const vapid = {
      publicKey: stored.publicKey as string,
      privateKey: await box.open(stored.privateKey, VAPID_SETTING),
    };
    webPush = createWebPushChannel({ vapid, subject: o.vapidSubject });
    publicWebPush = o.publicFetch
      ? createWebPushChannel({ vapid, subject: o.vapidSubject, fetch: o.publicFetch })
      : webPush;
    vapidPublicKey = vapid.publicKey;
  }
  const email = o.resendApiKey
    ? createResendChannel({ apiKey: o.resendApiKey, from: o.emailFrom, baseUrl: o.resendBaseUrl })
    : o.mailLogPath
      ? createMailLogChannel(o.mailLogPath)
      : null;
  const box = o.secretBox;
  return {
    webPush,
    email,
    vapidPublicKey,
    openSecret: box ? (c, id) => box.open(c, alertWebhookSecretContext(id)) : null,
    public: { webPush: publicWebPush, fetch: o.publicFetch ?? fetch },
  };
}

/** The alert channels as the dispatcher wants them. */
export function alertDispatchDeps(deps: Pick<Deps, 'db' | 'alerts' | 'publicUrl'>) {
  const channels = deps.alerts!;
  return {
    db: deps.db,
    webPush: channels.webPush,
    email: channels.email,
    openSecret: channels.openSecret,
    publicUrl: deps.publicUrl ?? '',
  };
}
