/**
 * Remembers recently seen keys so a repeated engine event is passed on once. Bounded in both time and size
 * (a phone runs for months): a key is forgotten after `ttlMs` or when `maxEntries` newer keys push it out.
 * Forgetting is safe: the agent deduplicates by message, attempt and status as well; this only keeps the
 * noise of a chatty engine away from it.
 */
export class RecentKeys {
  private readonly seenAt = new Map<string, number>();
  private readonly ttlMs: number;
  private readonly maxEntries: number;

  constructor(options: { ttlMs: number; maxEntries: number }) {
    this.ttlMs = options.ttlMs;
    this.maxEntries = options.maxEntries;
  }

  /** True when `key` was seen within the window (a duplicate); otherwise records it and returns false. */
  checkAndAdd(key: string, nowMs: number): boolean {
    this.expire(nowMs);
    const at = this.seenAt.get(key);
    if (at !== undefined && nowMs - at <= this.ttlMs) return true;
    this.seenAt.delete(key);
    this.seenAt.set(key, nowMs);
    while (this.seenAt.size > this.maxEntries) {
      const oldest = this.seenAt.keys().next().value;
      if (oldest === undefined) break;
      this.seenAt.delete(oldest);
    }
    return false;
  }

  has(key: string, nowMs: number): boolean {
    const at = this.seenAt.get(key);
    return at !== undefined && nowMs - at <= this.ttlMs;
  }

  get size(): number {
    return this.seenAt.size;
  }

  /** Drops expired keys from the front (insertion order is time order). */
  private expire(nowMs: number): void {
    for (const [key, at] of this.seenAt) {
      if (nowMs - at <= this.ttlMs) break;
      this.seenAt.delete(key);
    }
  }
}
