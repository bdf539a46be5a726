/**
 * A simulated SMS engine: per-carrier delivery and failure rates, latency, battery drain, signal, offline
 * windows and crashes, all deterministic for a given seed (each message's fate is drawn from the seed and
 * the id it was handed over under, so a rerun gives the same outcomes; that id is per attempt, so a retry
 * of a message draws a fate of its own).
 *
 * The engine's memory (what it was handed, and the events it still owes) lives in an `EngineStore`: in
 * memory for the fleet simulator, or in its own SQLite file (`storePath`) so the simulated phone's engine
 * survives the agent being killed, answers `lookup` honestly afterwards, and serves as the ledger of
 * everything ever handed to the engine that the kill -9 test checks.
 *
 * A SIM with a `number` joins the process's simulated carrier network (`sim-network.ts`): a message one
 * simulated phone sends to another's number is received there when the carrier delivers it (the SMS
 * canary between simulated phones). `updateSim` changes a SIM's carrier while running (credit runs out).
 */
import { DatabaseSync } from 'node:sqlite';
import { type Clock, systemClock } from '../clock.ts';
import {
  type Driver,
  type DriverEvent,
  type DriverHealth,
  type LookupResult,
  SendError,
  type SendRequest,
  type Telemetry,
} from './driver.ts';
import { type SimNetwork, simNetwork } from './sim-network.ts';

export interface SimCarrier {
  name: string;
  mccMnc?: string;
  /** Share of sent messages the carrier delivers (the rest come back `undelivered`). */
  deliveryRate: number;
  /** Share of messages the phone fails to send at all. */
  sendFailureRate: number;
  /** Code of those send failures (default RESULT_ERROR_GENERIC_FAILURE, which is final). */
  failureCode?: string;
}

export interface SimulatedOptions {
  seed?: number;
  /** Each SIM; one with a `number` (E.164) receives what other simulated phones send to it. */
  sims?: { slot: number; carrier: SimCarrier; signalDbm?: number; number?: string }[];
  /** Ms from hand-over to `sent`, and from `sent` to the delivery report: [min, max]. */
  latencyMs?: { sent: [number, number]; delivered: [number, number] };
  battery?: { startPercent: number; drainPerHour: number; charging: boolean; temperatureC?: number };
  /** Ms the engine takes to answer a send after it has stored the message: [min, max] (default 0). */
  acceptLatencyMs?: [number, number];
  /** Epoch-ms windows in which the engine is unreachable (sends refused, health failing). */
  offline?: { from: number; to: number }[];
  /** Share of sends during which the engine crashes: it may or may not have kept the message. */
  crashRate?: number;
  /** Share of lookups the engine cannot answer. */
  cannotTellRate?: number;
  /** Keep the engine's state in this SQLite file instead of memory. */
  storePath?: string;
  clock?: Clock;
  /** The simulated carrier network the SIMs join (default: the process's own). */
  network?: SimNetwork;
}

export const DEFAULT_CARRIERS: SimCarrier[] = [
  { name: 'Vodafone UK', mccMnc: '23415', deliveryRate: 0.97, sendFailureRate: 0.01 },
  { name: 'EE', mccMnc: '23430', deliveryRate: 0.95, sendFailureRate: 0.02 },
];

type EngineState = 'pending' | 'sent' | 'delivered' | 'undelivered' | 'failed';

export interface EngineRecord {
  id: string;
  to: string;
  segments: number;
  simSlot: number | null;
  handedAt: number;
  state: EngineState;
  stateAt: number;
  errorCode: string | null;
}

interface PlannedEvent {
  seq: number;
  id: string;
  due: number;
  event: DriverEvent;
}

/** What the engine remembers. Every method is atomic. */
export interface EngineStore {
  get(id: string): EngineRecord | undefined;
  /** Records a hand-over and the events it will cause; false (nothing stored) if the id is known. */
  insert(record: EngineRecord, events: Omit<PlannedEvent, 'seq'>[]): boolean;
  /** Events not yet emitted with `due <= now`, oldest first. */
  due(now: number): PlannedEvent[];
  nextDue(): number | null;
  /** The event was passed to the agent: forget it and advance the record's state. */
  emitted(seq: number, id: string, state: EngineState, at: number, errorCode: string | null): void;
  all(): EngineRecord[];
  /**
   * Every hand-over that reached the engine, accepted or refused by its duplicate guard, in order: the
   * ledger that proves nothing was handed twice (written in the same transaction as `insert`).
   */
  sendCalls(): { id: string; at: number }[];
  close(): void;
}

export class MemoryEngineStore implements EngineStore {
  readonly #records = new Map<string, EngineRecord>();
  readonly #calls: { id: string; at: number }[] = [];
  #events: PlannedEvent[] = [];
  #seq = 0;
  get(id: string) {
    return this.#records.get(id);
  }
  insert(record: EngineRecord, events: Omit<PlannedEvent, 'seq'>[]) {
    this.#calls.push({ id: record.id, at: record.handedAt });
    if (this.#calls.length > 10_000) this.#calls.splice(0, 5_000);
    if (this.#records.has(record.id)) return false;
    this.#records.set(record.id, { ...record });
    for (const e of events) this.#events.push({ ...e, seq: ++this.#seq });
    this.#events.sort((a, b) => a.due - b.due || a.seq - b.seq);
    return true;
  }
  due(now: number) {
    const out: PlannedEvent[] = [];
    for (const e of this.#events) {
      if (e.due > now) break;
      out.push(e);
    }
    return out;
  }
  nextDue() {
    return this.#events[0]?.due ?? null;
  }
  emitted(seq: number, id: string, state: EngineState, at: number, errorCode: string | null) {
    this.#events = this.#events.filter((e) => e.seq !== seq);
    const r = this.#records.get(id);
    if (r) Object.assign(r, { state, stateAt: at, errorCode });
  }
  all() {
    return [...this.#records.values()];
  }
  sendCalls() {
    return [...this.#calls];
  }
  close() {}
}

interface EngineRow {
  id: string;
  recipient: string;
  segments: number;
  sim_slot: number | null;
  handed_at: number;
  state: EngineState;
  state_at: number;
  error_code: string | null;
}

export class SqliteEngineStore implements EngineStore {
  readonly #db: DatabaseSync;
  constructor(path: string) {
    this.#db = new DatabaseSync(path);
    this.#db.exec('PRAGMA journal_mode = WAL');
    this.#db.exec('PRAGMA synchronous = FULL');
    this.#db.exec('PRAGMA busy_timeout = 5000');
    this.#db.exec('PRAGMA cache_size = -512');
    this.#db.exec(`
      CREATE TABLE IF NOT EXISTS handed (id TEXT PRIMARY KEY, recipient TEXT NOT NULL, segments INTEGER NOT NULL,
        sim_slot INTEGER, handed_at INTEGER NOT NULL, state TEXT NOT NULL, state_at INTEGER NOT NULL, error_code TEXT);
      CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL, due INTEGER NOT NULL,
        event TEXT NOT NULL);
      CREATE INDEX IF NOT EXISTS events_due ON events (due, seq);
      CREATE TABLE IF NOT EXISTS send_calls (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT NOT NULL, at INTEGER NOT NULL);`);
  }
  get(id: string) {
    const r = this.#db.prepare('SELECT * FROM handed WHERE id = ?').get(id) as unknown as
      | EngineRow
      | undefined;
    return r ? SqliteEngineStore.#record(r) : undefined;
  }
  static #record(r: EngineRow): EngineRecord {
    return {
      id: r.id,
      to: r.recipient,
      segments: r.segments,
      simSlot: r.sim_slot,
      handedAt: r.handed_at,
      state: r.state,
      stateAt: r.state_at,
      errorCode: r.error_code,
    };
  }
  insert(record: EngineRecord, events: Omit<PlannedEvent, 'seq'>[]) {
    this.#db.exec('BEGIN IMMEDIATE');
    try {
      this.#db.prepare('INSERT INTO send_calls (id, at) VALUES (?, ?)').run(record.id, record.handedAt);
      const res = this.#db
        .prepare(
          `INSERT INTO handed (id, recipient, segments, sim_slot, handed_at, state, state_at, error_code)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
        )
        .run(
          record.id,
          record.to,
          record.segments,
          record.simSlot,
          record.handedAt,
          record.state,
          record.stateAt,
          record.errorCode,
        );
      if (Number(res.changes) === 0) {
        this.#db.exec('COMMIT');
        return false;
      }
      const ins = this.#db.prepare('INSERT INTO events (id, due, event) VALUES (?, ?, ?)');
      for (const e of events) ins.run(e.id, e.due, JSON.stringify(e.event));
      this.#db.exec('COMMIT');
      return true;
    } catch (err) {
      if (this.#db.isTransaction) this.#db.exec('ROLLBACK');
      throw err;
    }
  }
  due(now: number) {
    return (
      this.#db.prepare('SELECT * FROM events WHERE due <= ? ORDER BY due, seq').all(now) as {
        seq: number;
        id: string;
        due: number;
        event: string;
      }[]
    ).map((r) => ({ seq: r.seq, id: r.id, due: r.due, event: JSON.parse(r.event) as DriverEvent }));
  }
  nextDue() {
    const r = this.#db.prepare('SELECT min(due) AS due FROM events').get() as { due: number | null };
    return r.due;
  }
  emitted(seq: number, id: string, state: EngineState, at: number, errorCode: string | null) {
    this.#db.exec('BEGIN IMMEDIATE');
    this.#db.prepare('DELETE FROM events WHERE seq = ?').run(seq);
    this.#db
      .prepare('UPDATE handed SET state = ?, state_at = ?, error_code = ? WHERE id = ?')
      .run(state, at, errorCode, id);
    this.#db.exec('COMMIT');
  }
  all() {
    return (this.#db.prepare('SELECT * FROM handed ORDER BY handed_at').all() as unknown as EngineRow[]).map(
      (r) => SqliteEngineStore.#record(r),
    );
  }
  sendCalls() {
    return this.#db.prepare('SELECT id, at FROM send_calls ORDER BY seq').all() as {
      id: string;
      at: number;
    }[];
  }
  close() {
    this.#db.close();
  }
}

/** A small fast seeded PRNG (mulberry32). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a of a string, for seeding per message. */
export function hashString(s: string, seed = 0): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

/** The fate of one hand-over, decided from the seed and its engine id (message and attempt) alone. */
export function planFate(
  id: string,
  seed: number,
  carrier: SimCarrier,
  latency: { sent: [number, number]; delivered: [number, number] },
  handedAt: number,
): { events: Omit<PlannedEvent, 'seq'>[]; crash: number; cannotTell: number; keepOnCrash: boolean } {
  const rnd = mulberry32(hashString(id, seed));
  const between = ([lo, hi]: [number, number]) => lo + Math.floor(rnd() * (hi - lo + 1));
  const sentAt = handedAt + between(latency.sent);
  const fail = rnd() < carrier.sendFailureRate;
  const delivered = rnd() < carrier.deliveryRate;
  const reportAt = sentAt + between(latency.delivered);
  const crash = rnd();
  const cannotTell = rnd();
  const keepOnCrash = rnd() < 0.5;
  const events: Omit<PlannedEvent, 'seq'>[] = fail
    ? [
        {
          id,
          due: sentAt,
          event: {
            type: 'failed',
            id,
            at: sentAt,
            stage: 'send',
            errorCode: carrier.failureCode ?? 'RESULT_ERROR_GENERIC_FAILURE',
            errorMessage: 'simulated send failure',
          },
        },
      ]
    : [
        { id, due: sentAt, event: { type: 'sent', id, at: sentAt, parts: 1 } },
        delivered
          ? { id, due: reportAt, event: { type: 'delivered', id, at: reportAt } }
          : {
              id,
              due: reportAt,
              event: {
                type: 'failed',
                id,
                at: reportAt,
                stage: 'delivery',
                errorCode: 'UNDELIVERED',
                errorMessage: 'simulated delivery failure',
              },
            },
      ];
  return { events, crash, cannotTell, keepOnCrash };
}

export class SimulatedDriver implements Driver {
  readonly name = 'simulated';
  readonly capabilities = { sentReports: true, deliveryReports: true, simChoice: true };
  readonly store: EngineStore;
  readonly #opts: Required<Omit<SimulatedOptions, 'storePath' | 'clock' | 'network'>>;
  readonly #clock: Clock;
  readonly #startedAt: number;
  readonly #network: SimNetwork;
  /** Texts on their way to another simulated phone, until the carrier delivers them (memory only). */
  readonly #inTransit = new Map<string, { to: string; from: string; text: string }>();
  #detach: (() => void)[] = [];
  #onEvent: ((event: DriverEvent) => void) | null = null;
  #timer: NodeJS.Timeout | null = null;
  #timerAt = Number.POSITIVE_INFINITY;

  constructor(options: SimulatedOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#opts = {
      seed: options.seed ?? 1,
      sims: options.sims ?? [{ slot: 0, carrier: DEFAULT_CARRIERS[0]!, signalDbm: -85 }],
      latencyMs: options.latencyMs ?? { sent: [200, 1_500], delivered: [500, 5_000] },
      battery: options.battery ?? { startPercent: 90, drainPerHour: 2, charging: false, temperatureC: 31 },
      offline: options.offline ?? [],
      crashRate: options.crashRate ?? 0,
      cannotTellRate: options.cannotTellRate ?? 0,
      acceptLatencyMs: options.acceptLatencyMs ?? [0, 0],
    };
    this.store = options.storePath ? new SqliteEngineStore(options.storePath) : new MemoryEngineStore();
    this.#startedAt = this.#clock.now();
    this.#network = options.network ?? simNetwork;
  }

  /** Changes a SIM's carrier behaviour from now on (e.g. `{ sendFailureRate: 1 }`: its credit ran out). */
  updateSim(slot: number, carrier: Partial<SimCarrier>): void {
    this.#opts.sims = this.#opts.sims.map((s) =>
      s.slot === slot ? { ...s, carrier: { ...s.carrier, ...carrier } } : s,
    );
  }

  #offline(now: number): boolean {
    return this.#opts.offline.some((w) => now >= w.from && now < w.to);
  }

  #carrier(simSlot: number | null): SimCarrier {
    const sims = this.#opts.sims;
    return (sims.find((s) => s.slot === simSlot) ?? sims[0])?.carrier ?? DEFAULT_CARRIERS[0]!;
  }

  async start(onEvent: (event: DriverEvent) => void): Promise<void> {
    this.#onEvent = onEvent;
    for (const sim of this.#opts.sims)
      if (sim.number)
        this.#detach.push(
          this.#network.attach(sim.number, sim.slot, (sms) => this.#onEvent?.({ type: 'received', ...sms })),
        );
    this.#pump();
  }

  async stop(): Promise<void> {
    this.#onEvent = null;
    for (const detach of this.#detach.splice(0)) detach();
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#timerAt = Number.POSITIVE_INFINITY;
  }

  /** Releases the engine's store (after `stop`). */
  close(): void {
    this.store.close();
  }

  /** Emits every due event (the agent journals it inside `onEvent`, then the engine forgets it), then rearms. */
  #pump(): void {
    if (!this.#onEvent) return;
    const now = this.#clock.now();
    if (!this.#offline(now)) {
      for (const e of this.store.due(now)) {
        if (!this.#onEvent) return;
        this.#onEvent(e.event);
        const state: EngineState =
          e.event.type === 'delivered'
            ? 'delivered'
            : e.event.type === 'sent'
              ? 'sent'
              : e.event.type === 'failed' && e.event.stage === 'delivery'
                ? 'undelivered'
                : 'failed';
        const code = e.event.type === 'failed' ? (e.event.errorCode ?? null) : null;
        this.store.emitted(e.seq, e.id, state, e.event.at, code);
        const sms = this.#inTransit.get(e.id);
        if (sms && (state === 'delivered' || state === 'undelivered' || state === 'failed')) {
          this.#inTransit.delete(e.id);
          if (state === 'delivered') this.#network.deliver(sms.to, { ...sms, at: e.event.at });
        }
      }
    }
    this.#arm();
  }

  #arm(): void {
    const next = this.store.nextDue();
    if (next === null) return;
    const now = this.#clock.now();
    // While offline the events wait until the window ends.
    const window = this.#opts.offline.find((w) => now >= w.from && now < w.to);
    const at = Math.max(next, window ? window.to : next);
    if (this.#timer && at >= this.#timerAt) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timerAt = at;
    this.#timer = setTimeout(
      () => {
        this.#timer = null;
        this.#timerAt = Number.POSITIVE_INFINITY;
        this.#pump();
      },
      Math.max(0, at - now),
    );
    this.#timer.unref?.();
  }

  async send(request: SendRequest): Promise<void> {
    const now = this.#clock.now();
    if (this.#offline(now)) {
      throw new SendError('ENGINE_UNREACHABLE', 'simulated engine is offline', false);
    }
    if (request.expiresAt <= now) throw new SendError('ENGINE_REJECTED', 'message expired', false);
    const fate = planFate(
      request.id,
      this.#opts.seed,
      this.#carrier(request.simSlot),
      this.#opts.latencyMs,
      now,
    );
    const record: EngineRecord = {
      id: request.id,
      to: request.to,
      segments: request.segments,
      simSlot: request.simSlot,
      handedAt: now,
      state: 'pending',
      stateAt: now,
      errorCode: null,
    };
    const crashes = fate.crash < this.#opts.crashRate;
    if (crashes && !fate.keepOnCrash) {
      throw new SendError('ENGINE_CRASHED', 'simulated engine died while taking the message', 'maybe');
    }
    if (!this.store.insert(record, fate.events)) {
      // The engine's duplicate guard: the same id is never sent twice.
      throw new SendError('DUPLICATE_ID', `the engine already has message ${request.id}`, 'maybe');
    }
    if (this.#network.has(request.to)) {
      const from =
        this.#opts.sims.find((s) => s.slot === request.simSlot)?.number ?? this.#opts.sims[0]?.number;
      this.#inTransit.set(request.id, { to: request.to, from: from ?? '+10000000000', text: request.text });
    }
    this.#arm();
    const [lo, hi] = this.#opts.acceptLatencyMs;
    if (hi > 0) {
      const wait =
        lo + Math.floor(mulberry32(hashString(`accept:${request.id}`, this.#opts.seed))() * (hi - lo + 1));
      await new Promise((r) => setTimeout(r, wait));
    }
    if (crashes) {
      throw new SendError('ENGINE_CRASHED', 'simulated engine died after taking the message', 'maybe');
    }
  }

  async lookup(id: string): Promise<LookupResult> {
    const now = this.#clock.now();
    if (this.#offline(now)) return { known: 'cannot_tell', reason: 'simulated engine is offline' };
    if (mulberry32(hashString(`lookup:${id}`, this.#opts.seed))() < this.#opts.cannotTellRate)
      return { known: 'cannot_tell', reason: 'simulated engine lost its records' };
    const r = this.store.get(id);
    if (!r) return { known: false };
    // The lookup vocabulary has no `undelivered`: the engine sent it, and the delivery report is an event.
    const out: LookupResult = {
      known: true,
      state: r.state === 'undelivered' ? 'sent' : r.state,
      at: r.stateAt,
    };
    if (r.errorCode && r.state === 'failed') out.errorCode = r.errorCode;
    return out;
  }

  async health(): Promise<DriverHealth> {
    const offline = this.#offline(this.#clock.now());
    return offline
      ? { status: 'fail', checks: { engine: { status: 'fail', detail: 'simulated engine offline' } } }
      : { status: 'pass', checks: { engine: { status: 'pass' } } };
  }

  async telemetry(): Promise<Telemetry> {
    const now = this.#clock.now();
    const hours = (now - this.#startedAt) / 3_600_000;
    const b = this.#opts.battery;
    const percent = b.charging
      ? Math.min(100, b.startPercent + hours * 20)
      : Math.max(1, b.startPercent - hours * b.drainPerHour);
    const wobble = (slot: number) => Math.round(6 * Math.sin(now / 60_000 + slot + this.#opts.seed));
    const battery: NonNullable<Telemetry['battery']> = {
      percent: Math.round(percent * 10) / 10,
      charging: b.charging,
    };
    if (b.temperatureC !== undefined) battery.temperatureC = b.temperatureC;
    return {
      battery,
      network: { type: 'cellular', connected: !this.#offline(now) },
      sims: this.#opts.sims.map((s) => {
        const dbm = Math.max(-140, Math.min(-50, (s.signalDbm ?? -85) + wobble(s.slot)));
        return {
          slot: s.slot,
          carrier: s.carrier.name,
          mccMnc: s.carrier.mccMnc ?? null,
          signalDbm: dbm,
          signalLevel: Math.max(0, Math.min(4, Math.floor((dbm + 120) / 12))),
        };
      }),
    };
  }
}
