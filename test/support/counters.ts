/**
 * Counters for unit tests of what is built on them, in both shapes a store gives: in this
 * process (with the synchronous `local` operations hot paths take) and shared (only the
 * asynchronous operations, as on Redis), so that both code paths meet the same tests.
 */
import type { Counters } from '../../core/store/counters.js';
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
