/** Time is injected, never read ad hoc, so every time rule can be tested. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock that moves only when told to; for tests and simulations. */
export class ManualClock implements Clock {
  #now: number;
  constructor(start: number = Date.UTC(2026, 0, 1)) {
    this.#now = start;
  }
  now(): number {
    return this.#now;
  }
  set(t: number): void {
    this.#now = t;
  }
  advance(ms: number): number {
    this.#now += ms;
    return this.#now;
  }
}
