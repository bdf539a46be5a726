/**
 * The agent's durable local journal, in `node:sqlite`. It holds every leased message and how far it got,
 * the receipts not yet acknowledged by the server, and the agent's state (for `status`). Every step the
 * agent takes is written here before it acts on it, so a kill -9 at any moment leaves a journal that says
 * exactly what may have happened:
 *
 *   leased ──(submitted answered applied)──> submit_confirmed ──(engine accepted)──> handed ──> outcome
 *      └──(lease lapsed, rejected, stale)──> dropped
 *
 * A message is handed to the engine only from `submit_confirmed`, and the row leaves that state in the
 * same instant the engine accepts it, so after a crash only `submit_confirmed` rows are in doubt; the
 * agent asks the engine about those and never sends them again blindly.
 *
 * One database may hold many journals (the fleet simulator keeps 10,000 simulated phones in one
 * in-memory database): every row is keyed by a `scope`.
 *
 * Durability: WAL with `synchronous = FULL`, so a committed step survives a power cut as well as a kill
 * (a kill alone needs only the write to reach the OS, which every mode guarantees).
 */
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import type { ReceiptStatus } from './decisions.ts';

export type MessageStatus =
  | 'leased'
  | 'submit_confirmed'
  | 'handed'
  | 'sent'
  | 'delivered'
  | 'undelivered'
  | 'failed'
  | 'unknown'
  | 'dropped';

/** Local states from which nothing more is expected. `sent` is final only for engines without delivery reports. */
export const FINAL_STATUSES: readonly MessageStatus[] = [
  'delivered',
  'undelivered',
  'failed',
  'unknown',
  'dropped',
];

export interface JournalMessage {
  id: string;
  attempt: number;
  to: string;
  /** Emptied once the message is final: the journal keeps no message text it no longer needs. */
  text: string;
  segments: number;
  simSlot: number | null;
  expiresAt: number;
  leaseMs: number;
  receivedAt: number;
  status: MessageStatus;
  /** Whether a `submitted` receipt was ever posted for this attempt (its answer may have been lost). */
  submitPosted: boolean;
  handedAt: number | null;
  updatedAt: number;
}

export interface LeasedInput {
  id: string;
  attempt: number;
  to: string;
  text: string;
  segments: number;
  simSlot: number | null;
  expiresAt: number;
  leaseMs: number;
}

export interface JournalReceipt {
  seq: number;
  messageId: string;
  attempt: number;
  status: ReceiptStatus;
  at: number;
  errorCode?: string;
  errorMessage?: string;
  parts?: number;
}

export interface NewReceipt {
  messageId: string;
  attempt: number;
  status: ReceiptStatus;
  at: number;
  errorCode?: string | undefined;
  errorMessage?: string | undefined;
  parts?: number | undefined;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS messages (
  scope TEXT NOT NULL,
  id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  recipient TEXT NOT NULL,
  body TEXT NOT NULL,
  segments INTEGER NOT NULL,
  sim_slot INTEGER,
  expires_at INTEGER NOT NULL,
  lease_ms INTEGER NOT NULL,
  received_at INTEGER NOT NULL,
  status TEXT NOT NULL,
  submit_posted INTEGER NOT NULL DEFAULT 0,
  handed_at INTEGER,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (scope, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS messages_status ON messages (scope, status);
CREATE TABLE IF NOT EXISTS receipts (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  scope TEXT NOT NULL,
  message_id TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  status TEXT NOT NULL,
  at INTEGER NOT NULL,
  error_code TEXT,
  error_message TEXT,
  parts INTEGER,
  acked_at INTEGER,
  UNIQUE (scope, message_id, attempt, status)
);
CREATE INDEX IF NOT EXISTS receipts_pending ON receipts (scope, acked_at, seq);
CREATE TABLE IF NOT EXISTS meta (
  scope TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (scope, key)
) WITHOUT ROWID;
`;

/** Opens (or creates) a journal database file; `:memory:` for simulations. */
export function openJournalDb(path: string): DatabaseSync {
  const db = new DatabaseSync(path);
  if (path !== ':memory:') {
    db.exec('PRAGMA journal_mode = WAL');
    db.exec('PRAGMA synchronous = FULL');
  }
  db.exec('PRAGMA busy_timeout = 5000');
  // The journal stays small: a 512 KiB page cache (the default is 2 MiB) keeps a phone's RSS down.
  if (path !== ':memory:') db.exec('PRAGMA cache_size = -512');
  db.exec(SCHEMA);
  return db;
}

/** Message text is kept until the message is final (a lookup after a crash may need it), then dropped. */
const CLEAR_BODY = `CASE WHEN ?1 IN ('delivered', 'undelivered', 'failed', 'unknown', 'dropped') THEN '' ELSE body END`;

type Statements = ReturnType<typeof prepare>;

function prepare(db: DatabaseSync) {
  const s = (sql: string): StatementSync => db.prepare(sql);
  return {
    get: s('SELECT * FROM messages WHERE scope = ? AND id = ?'),
    insert:
      s(`INSERT INTO messages (scope, id, attempt, recipient, body, segments, sim_slot, expires_at, lease_ms,
        received_at, status, submit_posted, handed_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'leased', 0, NULL, ?)
      ON CONFLICT (scope, id) DO UPDATE SET attempt = excluded.attempt, recipient = excluded.recipient,
        body = excluded.body, segments = excluded.segments, sim_slot = excluded.sim_slot,
        expires_at = excluded.expires_at, lease_ms = excluded.lease_ms, received_at = excluded.received_at,
        status = 'leased', submit_posted = 0, handed_at = NULL, updated_at = excluded.updated_at
      WHERE excluded.attempt > messages.attempt AND messages.status IN ('leased', 'dropped', 'failed')`),
    byStatus: s('SELECT * FROM messages WHERE scope = ? AND status = ? ORDER BY received_at, id LIMIT ?'),
    setStatus: s(`UPDATE messages SET status = ?1, updated_at = ?2, body = ${CLEAR_BODY}
      WHERE scope = ?3 AND id = ?4 AND attempt = ?5`),
    setStatusFrom: s(`UPDATE messages SET status = ?1, updated_at = ?2, body = ${CLEAR_BODY}
      WHERE scope = ?3 AND id = ?4 AND attempt = ?5 AND status = ?6`),
    setHanded: s(`UPDATE messages SET status = 'handed', handed_at = ?, updated_at = ?
      WHERE scope = ? AND id = ? AND attempt = ? AND status = 'submit_confirmed'`),
    setPosted: s('UPDATE messages SET submit_posted = 1 WHERE scope = ? AND id = ? AND attempt = ?'),
    handedSince: s(
      'SELECT sim_slot, segments, handed_at FROM messages WHERE scope = ? AND handed_at IS NOT NULL AND handed_at > ?',
    ),
    queue: s(`SELECT count(*) AS depth, min(received_at) AS oldest FROM messages
      WHERE scope = ? AND status IN ('leased', 'submit_confirmed')`),
    inFlight: s(`SELECT count(*) AS n FROM messages WHERE scope = ? AND status IN ('handed', 'sent')`),
    addReceipt:
      s(`INSERT INTO receipts (scope, message_id, attempt, status, at, error_code, error_message, parts)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`),
    pendingReceipts: s('SELECT * FROM receipts WHERE scope = ? AND acked_at IS NULL ORDER BY seq LIMIT ?'),
    countPending: s('SELECT count(*) AS n FROM receipts WHERE scope = ? AND acked_at IS NULL'),
    ack: s('UPDATE receipts SET acked_at = ? WHERE scope = ? AND seq = ?'),
    pruneReceipts: s('DELETE FROM receipts WHERE scope = ? AND acked_at IS NOT NULL AND acked_at < ?'),
    pruneMessages: s(`DELETE FROM messages WHERE scope = ? AND updated_at < ?
      AND status IN ('delivered', 'undelivered', 'failed', 'unknown', 'dropped', 'sent')`),
    getMeta: s('SELECT value FROM meta WHERE scope = ? AND key = ?'),
    setMeta: s(
      'INSERT INTO meta (scope, key, value) VALUES (?, ?, ?) ON CONFLICT (scope, key) DO UPDATE SET value = excluded.value',
    ),
    allMeta: s('SELECT key, value FROM meta WHERE scope = ?'),
    counts: s('SELECT status, count(*) AS n FROM messages WHERE scope = ? GROUP BY status'),
  };
}

const statementCache = new WeakMap<DatabaseSync, Statements>();

function statements(db: DatabaseSync): Statements {
  let st = statementCache.get(db);
  if (!st) {
    st = prepare(db);
    statementCache.set(db, st);
  }
  return st;
}

type Row = Record<string, string | number | null>;

function toMessage(r: Row): JournalMessage {
  return {
    id: r.id as string,
    attempt: r.attempt as number,
    to: r.recipient as string,
    text: r.body as string,
    segments: r.segments as number,
    simSlot: r.sim_slot as number | null,
    expiresAt: r.expires_at as number,
    leaseMs: r.lease_ms as number,
    receivedAt: r.received_at as number,
    status: r.status as MessageStatus,
    submitPosted: r.submit_posted === 1,
    handedAt: r.handed_at as number | null,
    updatedAt: r.updated_at as number,
  };
}

function toReceipt(r: Row): JournalReceipt {
  const receipt: JournalReceipt = {
    seq: r.seq as number,
    messageId: r.message_id as string,
    attempt: r.attempt as number,
    status: r.status as ReceiptStatus,
    at: r.at as number,
  };
  if (r.error_code !== null) receipt.errorCode = r.error_code as string;
  if (r.error_message !== null) receipt.errorMessage = r.error_message as string;
  if (r.parts !== null) receipt.parts = r.parts as number;
  return receipt;
}

export class Journal {
  readonly db: DatabaseSync;
  readonly scope: string;
  readonly #st: Statements;

  constructor(db: DatabaseSync, scope = '') {
    this.db = db;
    this.scope = scope;
    this.#st = statements(db);
  }

  /** Runs `fn` in one transaction (one fsync for a whole batch). */
  transaction<T>(fn: () => T): T {
    if (this.db.isTransaction) return fn();
    this.db.exec('BEGIN IMMEDIATE');
    try {
      const out = fn();
      this.db.exec('COMMIT');
      return out;
    } catch (err) {
      this.db.exec('ROLLBACK');
      throw err;
    }
  }

  get(id: string): JournalMessage | undefined {
    const r = this.#st.get.get(this.scope, id) as Row | undefined;
    return r ? toMessage(r) : undefined;
  }

  /**
   * Journals leased messages (before anything else happens to them). A message already journalled keeps
   * its row, unless this is a newer attempt of one that never reached the engine. Returns the rows now in
   * `leased` for these ids.
   */
  addLeased(messages: LeasedInput[], receivedAt: number): JournalMessage[] {
    return this.transaction(() => {
      const out: JournalMessage[] = [];
      for (const m of messages) {
        this.#st.insert.run(
          this.scope,
          m.id,
          m.attempt,
          m.to,
          m.text,
          m.segments,
          m.simSlot,
          m.expiresAt,
          m.leaseMs,
          receivedAt,
          receivedAt,
        );
        const row = this.get(m.id);
        if (row && row.status === 'leased' && row.attempt === m.attempt) out.push(row);
      }
      return out;
    });
  }

  byStatus(status: MessageStatus, limit = 1_000): JournalMessage[] {
    return (this.#st.byStatus.all(this.scope, status, limit) as Row[]).map(toMessage);
  }

  /** Moves a message to `status`; with `from`, only if it is still there (returns whether it moved). */
  setStatus(id: string, attempt: number, status: MessageStatus, now: number, from?: MessageStatus): boolean {
    const res =
      from === undefined
        ? this.#st.setStatus.run(status, now, this.scope, id, attempt)
        : this.#st.setStatusFrom.run(status, now, this.scope, id, attempt, from);
    return Number(res.changes) > 0;
  }

  markSubmitPosted(id: string, attempt: number): void {
    this.#st.setPosted.run(this.scope, id, attempt);
  }

  /** The engine accepted the message: from here on it is never handed again. */
  markHanded(id: string, attempt: number, at: number): boolean {
    return Number(this.#st.setHanded.run(at, at, this.scope, id, attempt).changes) > 0;
  }

  /** Sends in the last `windowMs` (for rebuilding the rate limiter after a restart). */
  handedSince(since: number): { simSlot: number | null; segments: number; at: number }[] {
    return (this.#st.handedSince.all(this.scope, since) as Row[]).map((r) => ({
      simSlot: r.sim_slot as number | null,
      segments: r.segments as number,
      at: r.handed_at as number,
    }));
  }

  /** Messages waiting to be handed to the engine, and the age of the oldest. */
  queue(now: number): { depth: number; oldestPendingAgeS: number | null } {
    const r = this.#st.queue.get(this.scope) as { depth: number; oldest: number | null };
    return {
      depth: r.depth,
      oldestPendingAgeS: r.oldest === null ? null : Math.max(0, Math.floor((now - r.oldest) / 1000)),
    };
  }

  inFlight(): number {
    return (this.#st.inFlight.get(this.scope) as { n: number }).n;
  }

  statusCounts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const r of this.#st.counts.all(this.scope) as { status: string; n: number }[]) out[r.status] = r.n;
    return out;
  }

  /** Adds a receipt to the outbox; a repeat (same message, attempt and status) is ignored. Returns whether it was new. */
  addReceipt(r: NewReceipt): boolean {
    const res = this.#st.addReceipt.run(
      this.scope,
      r.messageId,
      r.attempt,
      r.status,
      Math.max(0, Math.round(r.at)),
      // Within the server's schema, so no receipt is ever refused for its shape.
      r.errorCode?.slice(0, 64) ?? null,
      r.errorMessage?.slice(0, 500) ?? null,
      r.parts === undefined ? null : Math.max(1, Math.min(255, Math.round(r.parts))),
    );
    return Number(res.changes) > 0;
  }

  pendingReceipts(limit: number): JournalReceipt[] {
    return (this.#st.pendingReceipts.all(this.scope, limit) as Row[]).map(toReceipt);
  }

  pendingReceiptCount(): number {
    return (this.#st.countPending.get(this.scope) as { n: number }).n;
  }

  /** The server answered these (with any outcome): they may leave the outbox. */
  ackReceipts(seqs: number[], now: number): void {
    this.transaction(() => {
      for (const seq of seqs) this.#st.ack.run(now, this.scope, seq);
    });
  }

  /** Forgets finished messages and acknowledged receipts older than `keepMs` (they only served deduplication). */
  prune(now: number, keepMs = 2 * 86_400_000): void {
    this.transaction(() => {
      this.#st.pruneReceipts.run(this.scope, now - keepMs);
      this.#st.pruneMessages.run(this.scope, now - keepMs);
    });
  }

  getMeta<T>(key: string): T | undefined {
    const r = this.#st.getMeta.get(this.scope, key) as { value: string } | undefined;
    return r ? (JSON.parse(r.value) as T) : undefined;
  }

  setMeta(key: string, value: unknown): void {
    this.#st.setMeta.run(this.scope, key, JSON.stringify(value));
  }

  allMeta(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const r of this.#st.allMeta.all(this.scope) as { key: string; value: string }[])
      out[r.key] = JSON.parse(r.value);
    return out;
  }
}
