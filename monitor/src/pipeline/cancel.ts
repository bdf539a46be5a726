/**
 * Cancelling a message: only while it is `queued` (no phone holds it yet), so a cancel never races a
 * send. A compare-and-set moves it to `cancelled`, with its event and webhooks in the same batch; a
 * phone leasing it at the same moment wins or loses as a whole. Cancelling a cancelled message is a no-op.
 */
import { type Db, findMessage } from '@lifeline/db';
import type { Message } from '@lifeline/db/schema';
import { ApiError } from '../http/errors.ts';
import { finish } from './sweeps.ts';

export async function cancelMessage(db: Db, workspaceId: string, id: string, now: number): Promise<Message> {
  const message = await findMessage(db, workspaceId, id);
  if (!message) throw new ApiError(404, 'message_not_found', `No message '${id}' in this workspace.`, 'id');
  if (message.status === 'queued') {
    const [first, ...rest] = finish(db, message, 'cancelled', now, 'cancelled', 'api');
    await db.batch([first!, ...rest]);
  }
  const after = (await findMessage(db, workspaceId, id))!;
  if (after.status !== 'cancelled')
    throw new ApiError(
      409,
      'not_cancellable',
      `Only a queued message can be cancelled; this one is ${after.status} (a phone has it).`,
    );
  return after;
}
