import {
  type Db,
  effectQueries,
  findMessagesByIdempotencyKeys,
  insertMessagesQueries,
  isUniqueViolation,
  listDevices,
  newId,
} from '@lifeline/db';
import type { Message } from '@lifeline/db/schema';
import type { NewMessage } from '../contract/messages.ts';
import { smsSegments } from '../domain/sms-segments.ts';
import { ApiError } from '../http/errors.ts';
import { sha256Hex } from '../secrets.ts';
import { webhookPayloadOf } from './view.ts';

export interface AcceptResult {
  messages: Message[];
  /** True when every message already existed under its idempotency key (a retried request). */
  replayed: boolean;
}

/**
 * Accepts messages into the queue, all or nothing. With an idempotency key, a retry with the same body
 * returns the messages of the first request and creates nothing; the same key with another body is a
 * 409. In a batch, message `i` gets the key `<key>#<i>`.
 */
export async function acceptMessages(
  db: Db,
  input: { workspaceId: string; items: NewMessage[]; idempotencyKey?: string; batch: boolean; now: number },
): Promise<AcceptResult> {
  const { workspaceId, items, now } = input;
  const keys = input.idempotencyKey
    ? items.map((_, i) => (input.batch ? `${input.idempotencyKey}#${i}` : input.idempotencyKey!))
    : items.map(() => null);
  const hashes = items.map((item) => sha256Hex(canonicalJson(item)));

  const existing = await findByKeys(db, workspaceId, keys);
  if (existing.size > 0) {
    const replay = matchReplay(items, keys, hashes, existing);
    if (replay) return { messages: replay, replayed: true };
  }

  checkSendTimes(items, now, input.batch);
  await checkPreferredDevices(db, workspaceId, items);
  const rows = items.map((item, i) => newMessageRow(workspaceId, item, keys[i]!, hashes[i]!, now));
  const queries = [];
  queries.push(...insertMessagesQueries(db, rows));
  for (const row of rows) {
    queries.push(
      ...effectQueries(db, {
        messageId: row.id,
        workspaceId,
        from: { status: 'queued', attempt: 0 },
        to: { status: 'queued', attempt: 0 },
        now,
        event: { source: 'api' },
        webhookPayload: webhookPayloadOf(row),
      }),
    );
  }
  const [first, ...rest] = queries;
  try {
    await db.batch([first!, ...rest]);
    return { messages: rows, replayed: false };
  } catch (err) {
    if (!isUniqueViolation(err)) throw err;
  }
  // A concurrent request with the same key won the race (and this batch rolled back): answer as its replay.
  const raced = await findByKeys(db, workspaceId, keys);
  const replay = matchReplay(items, keys, hashes, raced);
  if (replay) return { messages: replay, replayed: true };
  throw new ApiError(
    409,
    'idempotency_conflict',
    'A concurrent request with this Idempotency-Key is in progress.',
  );
}

async function findByKeys(db: Db, workspaceId: string, keys: (string | null)[]) {
  const wanted = keys.filter((k): k is string => k !== null);
  const rows = await findMessagesByIdempotencyKeys(db, workspaceId, wanted);
  return new Map(rows.map((r) => [r.idempotencyKey!, r]));
}

/** The earlier messages if this request repeats them exactly; a 409 if a key was used for another body. */
function matchReplay(
  items: NewMessage[],
  keys: (string | null)[],
  hashes: string[],
  existing: Map<string, Message>,
): Message[] | null {
  const found: Message[] = [];
  for (let i = 0; i < items.length; i++) {
    const row = keys[i] ? existing.get(keys[i]!) : undefined;
    if (!row) continue;
    if (row.requestHash !== hashes[i]) {
      throw new ApiError(
        409,
        'idempotency_key_reused',
        'This Idempotency-Key was already used with a different request body.',
        items.length > 1 ? `messages.${i}` : undefined,
      );
    }
    found.push(row);
  }
  return found.length === items.length ? found : null;
}

/** How far ahead a message may be scheduled. */
export const MAX_SCHEDULE_AHEAD_MS = 30 * 86_400_000;
/** A `sendAt` this far in the past is a mistake (a clock or a unit off), not "now". */
const PAST_SEND_AT_SLACK_MS = 5 * 60_000;

function checkSendTimes(items: NewMessage[], now: number, batch: boolean) {
  items.forEach((item, i) => {
    if (item.sendAt === undefined) return;
    const field = batch ? `messages.${i}.sendAt` : 'sendAt';
    if (item.sendAt > now + MAX_SCHEDULE_AHEAD_MS)
      throw new ApiError(400, 'invalid_request', 'sendAt may be at most 30 days ahead.', field);
    if (item.sendAt < now - PAST_SEND_AT_SLACK_MS)
      throw new ApiError(
        400,
        'invalid_request',
        'sendAt is in the past (milliseconds since 1970, UTC); leave it out to send now.',
        field,
      );
  });
}

async function checkPreferredDevices(db: Db, workspaceId: string, items: NewMessage[]) {
  const wanted = new Set(items.map((i) => i.deviceId).filter((d): d is string => Boolean(d)));
  if (wanted.size === 0) return;
  const known = new Set((await listDevices(db, workspaceId, { limit: 100_000 })).map((d) => d.id));
  items.forEach((item, i) => {
    if (item.deviceId && !known.has(item.deviceId)) {
      const field = items.length > 1 ? `messages.${i}.deviceId` : 'deviceId';
      throw new ApiError(400, 'device_not_found', `No device '${item.deviceId}' in this workspace.`, field);
    }
  });
}

/**
 * A new queued message (the API's, or with `purpose` and `pinnedSimSlot` changed, an SMS canary). A
 * scheduled one (`sendAt` later than now) is not routed before then, and its TTL counts from then.
 */
export function newMessageRow(
  workspaceId: string,
  item: Pick<NewMessage, 'to' | 'text' | 'ttlS' | 'deviceId' | 'group' | 'metadata' | 'sendAt'>,
  key: string | null,
  hash: string | null,
  now: number,
): Message {
  const { encoding, segments } = smsSegments(item.text);
  const sendAt = item.sendAt !== undefined && item.sendAt > now ? item.sendAt : null;
  const expiresAt = (sendAt ?? now) + item.ttlS * 1000;
  return {
    id: newId('msg', now),
    workspaceId,
    recipient: item.to,
    body: item.text,
    encoding,
    segments,
    status: 'queued',
    stateRank: 0,
    attempt: 0,
    deviceId: null,
    simSlot: null,
    carrier: null,
    preferredDeviceId: item.deviceId ?? null,
    deviceGroup: item.group ?? null,
    idempotencyKey: key,
    requestHash: hash,
    metadata: item.metadata ?? null,
    createdAt: now,
    updatedAt: now,
    expiresAt,
    // A queued message's deadline is its TTL.
    deadlineAt: expiresAt,
    // The routing pass skips queued messages whose next attempt is still ahead.
    nextAttemptAt: sendAt,
    leasedAt: null,
    routedDeviceId: null,
    routedSimSlot: null,
    avoidDeviceId: null,
    retries: 0,
    deliveryReports: null,
    submittedAt: null,
    sentAt: null,
    completedAt: null,
    errorCode: null,
    errorMessage: null,
    purpose: 'customer',
    pinnedSimSlot: null,
    sendAt,
  };
}

/** JSON with sorted keys, so the same request hashes the same whatever its key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}
