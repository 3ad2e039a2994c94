/**
 * Counters for unit tests of what is built on them, in both shapes a store gives: in this
 * process (with the synchronous `local` operations hot paths take) and shared (only the
 * asynchronous operations, as on Redis), so that both code paths meet the same tests.
 */
import type { AddOptions, BucketTake, Counters } from '../../core/store/counters.js';
import { MemoryCounters } from '../../core/store/memory-counters.js';

export type CountersShape = 'in-process' | 'shared';

export const countersShapes: CountersShape[] = ['in-process', 'shared'];

/** Memory counters on the given clock; `shared` hides their synchronous side, as Redis has none. */
export function testCounters(shape: CountersShape, now: () => number = Date.now): Counters {
  const memory = new MemoryCounters(now);
  if (shape === 'in-process') return memory;
  return {
    add: (key, by, ttlMs) => memory.add(key, by, ttlMs),
    get: (key) => memory.get(key),
    next: (key) => memory.next(key),
    ttl: (key) => memory.ttl(key),
    delete: (key) => memory.delete(key),
    takeFromBucket: (key, amount, capacity, refill) => memory.takeFromBucket(key, amount, capacity, refill),
    close: () => memory.close(),
  };
}

/**
 * A fake shared store (Redis) for tests of what wraps one (BoundedCounters, circuits): `truth`
 * holds what it applied; a subclass overrides the calls it makes fail, stall or answer late.
 */
export class FakeSharedCounters implements Counters {
  readonly truth = new MemoryCounters();

  add(key: string, by: number, ttlMs?: number, options?: AddOptions): Promise<number> {
    return this.truth.add(key, by, ttlMs, options);
  }
  get(key: string): Promise<number> {
    return this.truth.get(key);
  }
  next(key: string): Promise<number> {
    return this.truth.next(key);
  }
  ttl(key: string): Promise<number | undefined> {
    return this.truth.ttl(key);
  }
  delete(key: string): Promise<void> {
    return this.truth.delete(key);
  }
  takeFromBucket(key: string, amount: number, capacity: number, refillPerSecond: number): Promise<BucketTake> {
    return this.truth.takeFromBucket(key, amount, capacity, refillPerSecond);
  }
  async close(): Promise<void> {
    await this.truth.close();
  }
}

/**
 * A fake shared store that remembers call ids (`addOnce`, as Redis does): a copy of a call applied
 * before changes nothing. While `dying`, every call's connection dies with it (after 30 ms),
 * applied first if `landing`, else not.
 */
export class RememberingCounters extends FakeSharedCounters {
  readonly seen = new Set<string>();
  dying = false;
  landing = false;
  /** Copies of calls sent again (ids seen before). */
  copies = 0;

  override add(key: string, by: number, ttlMs?: number, options?: AddOptions): Promise<number> {
    return this.apply(key, by, undefined, ttlMs, options);
  }
  addOnce(key: string, by: number, callId: string, _rememberMs: number, ttlMs?: number, options?: AddOptions): Promise<number> {
    if (this.seen.has(callId)) this.copies++;
    return this.apply(key, by, callId, ttlMs, options);
  }
  protected async apply(key: string, by: number, callId: string | undefined, ttlMs?: number, options?: AddOptions): Promise<number> {
    const once = callId === undefined || !this.seen.has(callId);
    if (this.dying) {
      if (this.landing && once) {
        if (callId) this.seen.add(callId);
        await this.truth.add(key, by, ttlMs, options);
      }
      await new Promise((resolve) => setTimeout(resolve, 30));
      throw new Error('Socket closed unexpectedly');
    }
    if (!once) return this.truth.get(key);
    if (callId) this.seen.add(callId);
    return this.truth.add(key, by, ttlMs, options);
  }
}
