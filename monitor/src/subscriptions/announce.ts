/**
 * The tick's part in public subscriptions: announces maintenance windows that started or ended since the
 * last tick (each once: the announcement is unique per window and kind), then delivers the public side of
 * the outbox.
 */
import { type AnnounceReport, dispatchAnnouncements } from '@lifeline/alerts';
import { announceQueries, dueMaintenanceAnnouncements } from '@lifeline/db';
import type { Deps } from '../deps.ts';
import { statusWebhookSecretContext, subscriberLinks } from './service.ts';

export async function announceMaintenanceTransitions(db: Deps['db'], now: number): Promise<number> {
  const due = await dueMaintenanceAnnouncements(db, now);
  for (const d of due) await db.batch(announceQueries(db, { ...d, now }));
  return due.length;
}

export function dispatchPublicNotifications(
  deps: Pick<Deps, 'db' | 'alerts' | 'secretBox' | 'publicUrl'>,
  now: number,
): Promise<AnnounceReport> {
  const box = deps.secretBox;
  const publicUrl = deps.publicUrl ?? '';
  return dispatchAnnouncements(
    {
      db: deps.db,
      webPush: deps.alerts?.public.webPush ?? null,
      fetch: deps.alerts?.public.fetch ?? fetch,
      email: deps.alerts?.email ?? null,
      links: box ? (id) => subscriberLinks(box, publicUrl, id) : null,
      openSecret: box ? (c, id) => box.open(c, statusWebhookSecretContext(id)) : null,
      publicUrl,
    },
    now,
  );
}
