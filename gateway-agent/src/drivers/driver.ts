/**
 * The one small interface every SMS engine driver implements (`smsgate`, `termux`, `simulated`).
 *
 * The agent owns durability (its journal) and the protocol with the server; a driver only talks to one
 * engine on the phone. Rules every driver keeps:
 * - `send` resolves once the engine has accepted the message, and throws a `SendError` otherwise. A
 *   `SendError` with `reachedEngine: false` proves the engine never got it (safe to report `failed` with a
 *   retryable code); `reachedEngine: 'maybe'` means the agent must ask `lookup` before deciding anything.
 * - `lookup(id)` answers, after a crash, whether the engine holds a message; it never sends.
 * - Ids are the agent's per-attempt engine ids (`<messageId>-<attempt>`, see ../engine-id.ts), opaque to
 *   drivers: a retry of a message is a new id, so an engine's duplicate guard never blocks it.
 * - Events are reported through the `onEvent` callback given to `start`, with the id the message was sent
 *   under, possibly more than once and late (engines repeat webhooks): the agent deduplicates them by
 *   message, attempt and status.
 * - No driver ever logs message text or secrets.
 */

export interface DriverCapabilities {
  /** The engine reports when all parts left the phone. */
  sentReports: boolean;
  /** The engine reports the carrier's delivery report; without it `sent` is the last word. */
  deliveryReports: boolean;
  /** The engine can send through a chosen SIM slot. */
  simChoice: boolean;
}

export interface SendRequest {
  /**
   * The engine id of this attempt (`<messageId>-<attempt>`); engines that take an id use it as their
   * duplicate guard, and events come back with it.
   */
  id: string;
  /** E.164 recipient. */
  to: string;
  text: string;
  /** SIM slot (0-based) to send through, or null for the phone's default. */
  simSlot: number | null;
  /** Segments the server counted (GSM-7/UCS-2). */
  segments: number;
  /** Epoch ms after which the engine should give up (maps to SMSGate's TTL). */
  expiresAt: number;
}

export type DriverEvent =
  | { type: 'sent'; id: string; at: number; parts?: number }
  | { type: 'delivered'; id: string; at: number }
  | {
      type: 'failed';
      id: string;
      at: number;
      /** `send`: the phone could not send (receipt `failed`); `delivery`: the carrier reported failure (receipt `undelivered`). */
      stage: 'send' | 'delivery';
      errorCode?: string;
      errorMessage?: string;
    }
  /** An SMS the phone received (used by the SMS canary probe). */
  | { type: 'received'; from: string; text: string; at: number; simSlot?: number };

export type LookupResult =
  /** The engine has never seen this id: it was not handed over. */
  | { known: false }
  /** The engine holds it; `state` is as far as the engine knows. */
  | { known: true; state: 'pending' | 'sent' | 'delivered' | 'failed'; errorCode?: string; at?: number }
  /** The engine cannot answer (unreachable, or no way to look up): the agent must report `unknown`. */
  | { known: 'cannot_tell'; reason: string };

/**
 * What the agent's journal knows of a message, passed to `lookup` after a crash. Engines that can look up
 * by id ignore it; the termux engine has no ids and finds the message in the phone's sent box by it.
 */
export interface LookupHint {
  to: string;
  text: string;
  /** Epoch ms when the agent journalled `submitted` (just before handing it to the engine). */
  submittedAt: number;
  /**
   * Epoch ms when the agent received this attempt's lease: the engine cannot have written anything of this
   * attempt before, so an older copy of the same text to the same number belongs to an earlier attempt.
   */
  leasedAt?: number;
}

export type CheckStatus = 'pass' | 'warn' | 'fail';

export interface DriverHealth {
  status: CheckStatus;
  checks: Record<string, { status: CheckStatus; detail?: string }>;
}

/** What the phone says about itself; every field optional because every source can fail or hang. */
export interface Telemetry {
  battery?: { percent: number; charging: boolean; temperatureC?: number; health?: string };
  network?: { type: 'wifi' | 'cellular' | 'ethernet' | 'none' | 'unknown'; connected?: boolean };
  sims?: {
    slot: number;
    carrier?: string | null;
    mccMnc?: string | null;
    signalDbm?: number | null;
    signalLevel?: number | null;
  }[];
}

export class SendError extends Error {
  readonly code: string;
  /** false: provably never reached the engine; 'maybe': ask `lookup` before deciding. */
  readonly reachedEngine: false | 'maybe';
  constructor(code: string, message: string, reachedEngine: false | 'maybe') {
    super(message);
    this.name = 'SendError';
    this.code = code;
    this.reachedEngine = reachedEngine;
  }
}

export interface Driver {
  readonly name: string;
  readonly capabilities: DriverCapabilities;
  /** Starts listening for engine events (for SMSGate: its webhook listener and registrations). */
  start(onEvent: (event: DriverEvent) => void): Promise<void>;
  stop(): Promise<void>;
  send(request: SendRequest): Promise<void>;
  lookup(id: string, hint?: LookupHint): Promise<LookupResult>;
  health(): Promise<DriverHealth>;
  telemetry(): Promise<Telemetry>;
}
