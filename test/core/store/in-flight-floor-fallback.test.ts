/**
 * Found by a review of 22d65f0 (it failed before its fix): (AddOptions.atLeast: requests in flight never count below 0). On Redis the
 * gateway's counters are BoundedCounters: an add the store does not take in time is kept in this
 * process's ledger and moved into the store when it answers again. The floor is dropped on both
 * steps (bounded-counters.ts addLocally: "no floor: a change may be < 0", and moveNow sends the
 * ledger's amount with no options). So the case the floor was made for comes back through an
 * outage: Redis restarts (its keys gone, as with a cache-only Redis) while requests are in flight;
 * they end while it is still coming back, their -1s wait in the ledger, and once it answers they
 * are moved into a key that no longer holds their +1s: the count is -N, and N more requests than
 * `concurrency` are let in for as long as the key is renewed.
 */
import { afterEach, expect, it } from 'vitest';
import { silentLogger } from '../../../core/logger.js';
import { BoundedCounters } from '../../../core/store/bounded-counters.js';
import type { AddOptions, BucketTake, Counters } from '../../../core/store/counters.js';
import { MemoryCounters } from '../../../core/store/memory-counters.js';

/** A shared store that can go down (every call fails) and lose its keys (a restart). */
class FlakyStore implements Counters {
  inner = new MemoryCounters();
  down = false;
  private check() {
    if (this.down) throw new Error('ECONNREFUSED');
  }
  async add(key: string, by: number, ttlMs?: number, options?: AddOptions) { this.check(); return this.inner.add(key, by, ttlMs, options); }
  async get(key: string) { this.check(); return this.inner.get(key); }
  async next(key: string) { this.check(); return this.inner.next(key); }
  async ttl(key: string) { this.check(); return this.inner.ttl(key); }
  async delete(key: string) { this.check(); return this.inner.delete(key); }
  async takeFromBucket(key: string, amount: number, capacity: number, rate: number): Promise<BucketTake> { this.check(); return this.inner.takeFromBucket(key, amount, capacity, rate); }
  async close() { await this.inner.close(); }
}

const RENEW = { renewTtl: true, atLeast: 0 } as const; // what plugins/rate-limits/limiter.ts passes
const TTL = 15 * 60_000;
let counters: BoundedCounters | undefined;
afterEach(async () => void (await counters?.close()));

it('requests that end while Redis restarts do not leave the in-flight count below 0 once it is back', async () => {
  const shared = new FlakyStore();
  counters = new BoundedCounters(shared, silentLogger);
  const key = 'limits:p:inflight';
  // Two requests start.
  await counters.add(key, 1, TTL, RENEW);
  await counters.add(key, 1, TTL, RENEW);
  // Redis restarts: down, and its keys are gone.
  shared.down = true;
  shared.inner = new MemoryCounters();
  // Both requests end meanwhile: their -1s wait in this process's ledger.
  await counters.add(key, -1, TTL, RENEW);
  await counters.add(key, -1, TTL, RENEW);
  // Redis is back; the next read moves the ledger into it.
  shared.down = false;
  const inFlight = await counters.get(key);
  // Found: -2 (two requests more than `concurrency` let in, for good while traffic renews the key).
  expect(inFlight).toBe(0);
});
