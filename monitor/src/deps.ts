import type { Db } from '@lifeline/db';
import type { AlertChannels } from './alerting/channels.ts';
import type { BackupScheduler } from './backup/scheduler.ts';
import type { Clock } from './clock.ts';
import type { AuthCache } from './http/auth-cache.ts';
import type { Writer } from './ingest/group-commit.ts';
import type { HeartbeatWrite } from './ingest/heartbeats.ts';
import type { Logger } from './logger.ts';
import type { WorkNotifier } from './pipeline/notifier.ts';
import type { Fetcher } from './probes/types.ts';
import type { SecretBox } from './secret-box.ts';
import type { CustomDomains } from './site/custom-domains.ts';

/** Everything the app needs from its runtime; Node and Workers each build one. */
export interface Deps {
  db: Db;
  clock: Clock;
  heartbeats: Writer<HeartbeatWrite>;
  authCache: AuthCache;
  logger: Logger;
  /** Wakes long-polling devices when messages are queued. */
  notifier: WorkNotifier;
  /** Public base URL, for links the API prints. */
  publicUrl: string;
  /**
   * Encrypts stored secrets (webhook signing secrets). Null on Workers without `SECRETS_KEY`: features
   * that need it answer 503 and webhooks are not dispatched.
   */
  secretBox: SecretBox | null;
  /** Where alert notifications go; null where none can be sent (alerts are still evaluated and recorded). */
  alerts: AlertChannels | null;
  /**
   * How probes fetch (Node: `probes/fetch-node.ts`, DNS-checked; default: Web fetch, as on Workers) and how
   * long the tick waits for a batch of probes before moving on (default: until done, as on Workers; the
   * rest of the batch then finishes in the background and is recorded as it lands).
   */
  probes?: { fetcher: Fetcher; waitMs?: number };
  /**
   * Let public subscriptions (web push endpoints, webhook URLs) point at loopback and private addresses
   * and plain http push endpoints. Off in production (SSRF guard); tests turn it on for their local fakes.
   */
  allowPrivateSubscriptionTargets?: boolean;
  /** Scheduled backups on Node (`BACKUP_DIR`): their state is in the default workspace's metrics. */
  backups?: BackupScheduler;
  /** Status pages served on workspaces' own host names (`site/custom-domains.ts`); absent: none. */
  customDomains?: CustomDomains;
}
