/**
 * Pure parts of the termux driver: argument building for `termux-sms-send`, parsing `termux-sms-list`
 * output, and finding an outgoing message in the phone's SMS store.
 *
 * `termux-sms-list` (termux-api-package, SmsInboxAPI) prints a JSON array, oldest first, of
 * `{threadid, type, read, sender?, address, number, received, body, _id}` where `type` is one of
 * inbox|sent|draft|failed|outbox (queued messages have an empty type) and `received` is the phone's local
 * time as `yyyy-MM-dd HH:mm:ss`. Its `-t` option accepts all|inbox|sent|draft|outbox only: failed messages
 * are seen through `-t all`.
 */

export interface SmsRow {
  id: number;
  type: string;
  address: string;
  body: string;
  /** Epoch ms, from the phone-local `received` time (second precision); null when unreadable. */
  at: number | null;
}

/** A recipient must be a plain phone number: `termux-sms-send` splits its -n value on commas (several
 * recipients) and passes it unquoted to `am`, so anything else could send to the wrong people. */
export function isSafeRecipient(to: string): boolean {
  return /^\+?[0-9]{3,20}$/.test(to);
}

export function smsSendArgs(to: string, simSlot: number | null): string[] {
  const args = ['-n', to];
  if (simSlot !== null) args.push('-s', String(simSlot));
  return args;
}

/** `2026-11-24 06:00:01` in the phone's zone (the agent runs on the phone, so the process zone). */
export function parseTermuxLocalTime(value: unknown): number | null {
  if (typeof value !== 'string') return null;
  const m = value.match(/^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})$/);
  if (!m) return null;
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const ms = new Date(y, mo - 1, d, h, mi, s).getTime();
  return Number.isFinite(ms) ? ms : null;
}

export function parseSmsList(stdout: string): SmsRow[] | null {
  let value: unknown;
  try {
    value = JSON.parse(stdout);
  } catch {
    return null;
  }
  if (!Array.isArray(value)) return null;
  const rows: SmsRow[] = [];
  for (const item of value) {
    if (typeof item !== 'object' || item === null) continue;
    const r = item as Record<string, unknown>;
    const address =
      typeof r.address === 'string' ? r.address : typeof r.number === 'string' ? r.number : null;
    if (typeof r._id !== 'number' || address === null || typeof r.body !== 'string') continue;
    rows.push({
      id: r._id,
      type: typeof r.type === 'string' ? r.type : '',
      address,
      body: r.body,
      at: parseTermuxLocalTime(r.received),
    });
  }
  return rows;
}

/** Same number in international or national form (`+4915112345678` vs `015112345678`). */
export function sameNumber(a: string, b: string): boolean {
  const da = a.replace(/\D/g, '');
  const db = b.replace(/\D/g, '');
  if (!da || !db) return false;
  if (da === db) return true;
  const tail = Math.min(9, da.length, db.length);
  return tail >= 7 && da.slice(-tail) === db.slice(-tail);
}

export type OutgoingState = 'sent' | 'failed' | 'pending';

export function outgoingState(type: string): OutgoingState | null {
  switch (type) {
    case 'sent':
      return 'sent';
    case 'failed':
      return 'failed';
    case 'outbox':
    case '':
      return 'pending';
    default:
      return null;
  }
}

export interface OutgoingQuery {
  to: string;
  text: string;
  /** When the message was handed to termux-sms-send (epoch ms). */
  submittedAt: number;
  /** Rows already matched to other messages (the same text to the same number twice). */
  claimed?: ReadonlySet<number>;
  /** Tolerance for the store's second precision and small clock steps; default 2 s. */
  toleranceMs?: number;
  /** No row before this (epoch ms, at the store's second precision), whatever the tolerance. */
  notBefore?: number;
}

/** The earliest outgoing row for this number and text written at or after the hand-over. */
export function findOutgoing(
  rows: readonly SmsRow[],
  query: OutgoingQuery,
): { row: SmsRow; state: OutgoingState } | null {
  const notBefore = Math.max(
    query.submittedAt - (query.toleranceMs ?? 2000),
    query.notBefore === undefined ? Number.NEGATIVE_INFINITY : Math.floor(query.notBefore / 1000) * 1000,
  );
  const text = query.text.trim();
  let best: { row: SmsRow; state: OutgoingState } | null = null;
  for (const row of rows) {
    const state = outgoingState(row.type);
    if (state === null) continue;
    if (query.claimed?.has(row.id)) continue;
    if (row.at === null || row.at < notBefore) continue;
    if (!sameNumber(row.address, query.to) || row.body.trim() !== text) continue;
    if (!best || (best.row.at ?? 0) > row.at || ((best.row.at ?? 0) === row.at && best.row.id > row.id)) {
      best = { row, state };
    }
  }
  return best;
}
