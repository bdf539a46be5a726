/**
 * Per-SIM send limits counted in SMS segments (pure): at most `perMinute` segments in any sliding 60 s
 * and `perDay` in any sliding 24 h, per SIM slot (`null` is the phone's default SIM). The agent rebuilds
 * it from its journal after a restart, so a crash does not reset the count.
 */
export interface SimLimits {
  perMinute: number;
  perDay: number;
}

const MINUTE = 60_000;
const DAY = 86_400_000;

export class SegmentRateLimiter {
  readonly limits: SimLimits;
  /** Per SIM key: [at, segments] in time order. */
  readonly #sends = new Map<string, [number, number][]>();

  constructor(limits: SimLimits) {
    this.limits = limits;
  }

  static key(simSlot: number | null): string {
    return simSlot === null ? 'default' : String(simSlot);
  }

  #window(simSlot: number | null, now: number): [number, number][] {
    const key = SegmentRateLimiter.key(simSlot);
    let list = this.#sends.get(key);
    if (!list) {
      list = [];
      this.#sends.set(key, list);
    }
    let drop = 0;
    while (drop < list.length && list[drop]![0] <= now - DAY) drop++;
    if (drop > 0) list.splice(0, drop);
    return list;
  }

  used(simSlot: number | null, now: number): { minute: number; day: number } {
    let minute = 0;
    let day = 0;
    for (const [at, segments] of this.#window(simSlot, now)) {
      day += segments;
      if (at > now - MINUTE) minute += segments;
    }
    return { minute, day };
  }

  /** Segments this SIM may still send now. */
  room(simSlot: number | null, now: number): number {
    const used = this.used(simSlot, now);
    return Math.max(0, Math.min(this.limits.perMinute - used.minute, this.limits.perDay - used.day));
  }

  /**
   * 0 if `segments` may go now; otherwise how long to wait until they fit, or `Infinity` if they never
   * will (more segments than a minute's limit, or the day is used up for longer than that).
   */
  waitMs(simSlot: number | null, segments: number, now: number): number {
    if (segments > this.limits.perMinute || segments > this.limits.perDay) return Number.POSITIVE_INFINITY;
    const list = this.#window(simSlot, now);
    const fitsBy = (limit: number, span: number): number => {
      let used = 0;
      for (const [at, s] of list) if (at > now - span) used += s;
      if (used + segments <= limit) return 0;
      // Walk forward through the window until enough segments have aged out.
      let excess = used + segments - limit;
      for (const [at, s] of list) {
        if (at <= now - span) continue;
        excess -= s;
        if (excess <= 0) return at + span - now;
      }
      return Number.POSITIVE_INFINITY;
    };
    return Math.max(fitsBy(this.limits.perMinute, MINUTE), fitsBy(this.limits.perDay, DAY));
  }

  record(simSlot: number | null, segments: number, at: number): void {
    const list = this.#window(simSlot, at);
    // Kept in time order; a rebuilt journal may hand them in any order.
    let i = list.length;
    while (i > 0 && list[i - 1]![0] > at) i--;
    list.splice(i, 0, [at, segments]);
  }
}
