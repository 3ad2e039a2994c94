/**
 * "Has this alert been sent yet?", answered once for every replica: the first to claim an alert's
 * name (one atomic add in the store, which replicas on Redis share) sends it, the others do not.
 * What this process has claimed or seen claimed is remembered until the claim ends, so a window
 * past its threshold costs one store call per process, not one per request. Bounded: names come
 * from keys and deployments, which clients choose.
 */
import { LRUCache } from 'lru-cache';
import type { Counters } from 'llm-gateway/store';

const MAX_REMEMBERED = 10_000;
/**
 * How long a name another replica claimed is taken as claimed here without asking the store
 * again: that replica may give its claim back (its webhooks failed), and the next occasion here
 * must then claim and send it; remembered for the claim's whole time, it never was.
 */
export const SEEN_ELSEWHERE_MS = 60_000;

export class FirstClaim {
  /** Names claimed here or seen claimed, each until its claim ends; the least recently used go first when full. */
  private readonly known: LRUCache<string, true>;

  constructor(
    private readonly counters: Counters,
    private readonly now: () => number = Date.now,
  ) {
    this.known = new LRUCache<string, true>({ max: MAX_REMEMBERED, perf: { now } });
  }

  /**
   * True for the first claim of `name` until `until`, on any replica. Where the store does not
   * answer, true: a duplicate alert rather than none.
   */
  async claim(name: string, until: number): Promise<boolean> {
    if (this.known.has(name)) return false;
    const ttlMs = Math.max(1, until - this.now());
    this.known.set(name, true, { ttl: ttlMs });
    try {
      const first = (await this.counters.add(`alerts:${name}`, 1, ttlMs, { exact: true })) === 1;
      if (!first && ttlMs > SEEN_ELSEWHERE_MS && this.known.has(name)) this.known.set(name, true, { ttl: SEEN_ELSEWHERE_MS });
      return first;
    } catch {
      return true;
    }
  }

  /**
   * Gives a claim back (an alert no webhook took), so that the next occasion, here or on another
   * replica, claims and sends it again. Where the store does not answer, the claim stays.
   */
  async release(name: string): Promise<void> {
    this.known.delete(name);
    await this.counters.delete(`alerts:${name}`).catch(() => undefined);
  }

  get size(): number {
    return this.known.size;
  }
}
