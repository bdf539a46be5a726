/**
 * A simulated carrier network shared by the simulated phones of one process: an SMS that one simulated
 * phone sends to a number another simulated phone's SIM holds arrives there, as a received SMS, when the
 * carrier delivers it. This is how an SMS canary goes from one simulated phone to another (in the fleet
 * simulator, the demo and the tests). A number nobody in the process holds goes nowhere, as before.
 */

export interface SimInboundSms {
  from: string;
  text: string;
  at: number;
  /** The receiving SIM's slot. */
  simSlot: number;
}

export class SimNetwork {
  readonly #subscribers = new Map<string, { simSlot: number; receive: (sms: SimInboundSms) => void }>();

  /** A SIM holding `number` joins the network; the returned function takes it off again. */
  attach(number: string, simSlot: number, receive: (sms: SimInboundSms) => void): () => void {
    const entry = { simSlot, receive };
    this.#subscribers.set(number, entry);
    return () => {
      if (this.#subscribers.get(number) === entry) this.#subscribers.delete(number);
    };
  }

  /** Whether a simulated SIM holds this number now. */
  has(number: string): boolean {
    return this.#subscribers.has(number);
  }

  /** Hands an SMS to the SIM holding `to`; false when none does (then it is lost). */
  deliver(to: string, sms: { from: string; text: string; at: number }): boolean {
    const target = this.#subscribers.get(to);
    if (!target) return false;
    target.receive({ ...sms, simSlot: target.simSlot });
    return true;
  }
}

/** The network every simulated driver of this process joins unless given its own. */
export const simNetwork = new SimNetwork();
