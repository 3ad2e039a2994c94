/**
 * Expired records leave the `memory` store. Keyv's default store is a plain Map of serialized
 * values (`{"value":…,"expires":<ms>}`), and Keyv deletes an expired one only when something
 * reads it: records nobody reads again (a stored response and its item ids, a cache log line, an
 * ended session) stayed for the life of the process. Keyv hands its store each write's TTL
 * (`store.set(key, value, ttl)`), so the Map here keeps each key's expiry beside it, and a sweep
 * every minute deletes those past it, without parsing a value.
 */

export const MEMORY_SWEEP_EVERY_MS = 60_000;

/** A Map for Keyv's `store` that also notes when each entry written with a TTL expires. */
export class ExpiringMap extends Map<string, unknown> {
  /** Key → `Date.now()` when it expires, for entries written with a TTL. */
  private readonly expiries = new Map<string, number>();

  override set(key: string, value: unknown, ttlMs?: number): this {
    super.set(key, value);
    // Noted no earlier than Keyv's own `expires` (taken just before), so never swept before it.
    if (typeof ttlMs === 'number' && ttlMs > 0) this.expiries.set(key, Date.now() + ttlMs);
    else this.expiries.delete(key);
    return this;
  }

  override delete(key: string): boolean {
    this.expiries.delete(key);
    return super.delete(key);
  }

  override clear(): void {
    this.expiries.clear();
    super.clear();
  }

  /** Deletes the entries whose expiry is past `now`; returns how many. */
  sweep(now = Date.now()): number {
    let deleted = 0;
    for (const [key, expiresAt] of this.expiries) {
      if (expiresAt >= now) continue;
      this.expiries.delete(key);
      super.delete(key);
      deleted++;
    }
    return deleted;
  }
}

/** Sweeps the maps `maps()` returns every MEMORY_SWEEP_EVERY_MS until stopped; the timer never holds the process open. */
export function sweepMemory(maps: () => Iterable<ExpiringMap>): { stop(): void } {
  const timer = setInterval(() => {
    const now = Date.now();
    for (const map of maps()) map.sweep(now);
  }, MEMORY_SWEEP_EVERY_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
