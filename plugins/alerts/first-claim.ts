/**
 * "Has this alert been sent yet?", answered once for every replica: the first to claim an alert's
 * name (one atomic add in the store, which replicas on Redis share) sends it, the others do not.
 * What this process has claimed or seen claimed is remembered until the claim ends, so a window
 * past its threshold costs one store call per process, not one per request. Bounded: names come
 * from keys and deployments, which clients choose.
 */
import type { Counters } from 'llm-gateway/store';

const MAX_REMEMBERED = 10_000;

export class FirstClaim {
  /** Claimed names and when their claims end (ms since the epoch), oldest first. */
  private readonly known = new Map<string, number>();

  constructor(
    private readonly counters: Counters,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * True for the first claim of `name` until `until`, on any replica. Where the store does not
   * answer, true: a duplicate alert rather than none.
   */
  async claim(name: string, until: number): Promise<boolean> {
    const now = this.now();
    const known = this.known.get(name);
    if (known !== undefined && known > now) return false;
    this.remember(name, until, now);
    try {
      return (await this.counters.add(`alerts:${name}`, 1, Math.max(1, until - now), { exact: true })) === 1;
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

  private remember(name: string, until: number, now: number): void {
    this.known.delete(name);
    if (this.known.size >= MAX_REMEMBERED) {
      for (const [other, ends] of this.known) if (ends <= now) this.known.delete(other);
      while (this.known.size >= MAX_REMEMBERED) this.known.delete(this.known.keys().next().value!);
    }
    this.known.set(name, until);
  }

  get size(): number {
    return this.known.size;
  }
}
