/**
 * Token-hash lookups, cached briefly so a heartbeat does not cost a read. Any change to a key or device
 * clears the cache in this process; the TTL bounds staleness across processes (the edge).
 */
export interface AuthCache {
  get<T>(hash: string): T | undefined;
  set<T>(hash: string, value: T): void;
  clear(): void;
}

export function createAuthCache(ttlMs: number, now: () => number, maxEntries = 100_000): AuthCache {
  const entries = new Map<string, { value: unknown; expiresAt: number }>();
  return {
    get<T>(hash: string) {
      const e = entries.get(hash);
      if (!e) return undefined;
      if (e.expiresAt <= now()) {
        entries.delete(hash);
        return undefined;
      }
      return e.value as T;
    },
    set<T>(hash: string, value: T) {
      if (entries.size >= maxEntries) entries.clear();
      entries.set(hash, { value, expiresAt: now() + ttlMs });
    },
    clear() {
      entries.clear();
    },
  };
}
