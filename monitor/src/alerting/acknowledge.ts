/**
 * Acknowledging an alert: someone is on it, so it sends no more reminders; subscribers still hear when it
 * resolves. Only an open alert (pending or firing) can be acknowledged; a second acknowledgement keeps
 * the first.
 */
import { acknowledgeAlertQueries, type Db, findAlert, newId } from '@lifeline/db';
import type { Alert } from '@lifeline/db/schema';
import { ApiError } from '../http/errors.ts';

export async function acknowledgeAlert(
  db: Db,
  workspaceId: string,
  alertId: string,
  by: string,
  now: number,
): Promise<Alert> {
  const alert = await findAlert(db, workspaceId, alertId);
  if (!alert) throw new ApiError(404, 'not_found', 'No such alert in this workspace.', 'id');
  if (alert.state === 'resolved')
    throw new ApiError(409, 'alert_resolved', 'This alert is resolved: there is nothing to acknowledge.');
  if (alert.acknowledgedAt === null) {
    const [update, event] = acknowledgeAlertQueries(db, {
      workspaceId,
      alertId,
      at: now,
      by,
      eventId: newId('ale', now),
    });
    await db.batch([update, event]);
  }
  return (await findAlert(db, workspaceId, alertId))!;
}
