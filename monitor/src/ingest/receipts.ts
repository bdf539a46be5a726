import { applyReceiptQueries, type Db, findMessagesForReceipts } from '@lifeline/db';
import type { MessageState } from '@lifeline/db/schema';
import type { Receipt, ReceiptResult } from '../contract/receipts.ts';
import {
  DEFAULT_DEADLINES,
  deadlineAfter,
  decideReceipt,
  isTerminal,
  type MessageCursor,
  stateOfReceipt,
  stateRank,
} from '../domain/message-state.ts';

/**
 * Applies a device's receipts idempotently. Each receipt becomes an event (a repeat is one row); it moves
 * the message only forward, only for the attempt it names, and only when the message is this device's.
 * The update is a compare-and-set on the state read here, so a concurrent change makes it stale, never
 * backwards.
 */
export async function applyReceipts(
  db: Db,
  input: { workspaceId: string; deviceId: string; receipts: Receipt[]; now: number },
): Promise<ReceiptResult[]> {
  const { workspaceId, deviceId, now } = input;
  const ids = [...new Set(input.receipts.map((r) => r.messageId))];
  const cursors = new Map<string, MessageCursor>();
  for (const m of await findMessagesForReceipts(db, workspaceId, ids)) cursors.set(m.id, m);

  const results: ReceiptResult[] = [];
  const queries = [];
  const plan: { index: number; eventQuery: number; updateQuery: number | null }[] = [];
  for (const receipt of input.receipts) {
    const cursor = cursors.get(receipt.messageId);
    const decision = decideReceipt(cursor, { status: receipt.status, attempt: receipt.attempt, deviceId });
    const base = { messageId: receipt.messageId, attempt: receipt.attempt, status: receipt.status };
    if (decision.kind === 'reject') {
      results.push({
        ...base,
        outcome: 'rejected',
        error: { code: decision.code, message: 'This device holds no such message.' },
      });
      continue;
    }
    let updateQuery: number | null = null;
    if (decision.kind === 'apply' && cursor) {
      updateQuery = queries.length;
      queries.push(
        applyReceiptQueries.update(db, {
          messageId: receipt.messageId,
          from: cursor.status,
          attempt: cursor.attempt,
          to: decision.next,
          rank: stateRank(decision.next),
          now,
          deadlineAt: deadlineAfter(decision.next, now, DEFAULT_DEADLINES),
          terminal: isTerminal(decision.next),
          errorCode: receipt.errorCode ?? null,
          errorMessage: receipt.errorMessage ?? null,
        }),
      );
      cursors.set(receipt.messageId, { ...cursor, status: decision.next });
    }
    const eventQuery = queries.length;
    queries.push(
      applyReceiptQueries.event(db, {
        messageId: receipt.messageId,
        workspaceId,
        deviceId,
        attempt: receipt.attempt,
        state: decision.kind === 'apply' ? decision.next : stateOfReceipt(receipt.status),
        now,
        deviceAt: receipt.at,
        errorCode: receipt.errorCode ?? null,
        detail:
          receipt.errorMessage || receipt.parts
            ? { errorMessage: receipt.errorMessage, parts: receipt.parts }
            : null,
      }),
    );
    plan.push({ index: results.length, eventQuery, updateQuery });
    results.push({ ...base, outcome: decision.kind === 'apply' ? 'applied' : 'stale' });
  }

  if (queries.length > 0) {
    const [first, ...rest] = queries;
    const out = (await db.batch([first!, ...rest])) as unknown[];
    for (const p of plan) {
      const result = results[p.index]!;
      const inserted = (out[p.eventQuery] as unknown[]).length > 0;
      const updated = p.updateQuery === null ? false : (out[p.updateQuery] as unknown[]).length > 0;
      if (!inserted && !updated) result.outcome = 'duplicate';
      else if (p.updateQuery !== null && !updated) result.outcome = 'stale';
    }
  }
  const after = new Map<string, MessageState>();
  for (const m of await findMessagesForReceipts(db, workspaceId, ids)) after.set(m.id, m.status);
  for (const r of results) {
    if (r.outcome !== 'rejected') r.state = after.get(r.messageId);
  }
  return results;
}
