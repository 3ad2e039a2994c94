/**
 * The concurrency count of gateway:rate-limits (plugins/rate-limits/limiter.ts) across its key's TTL:
 * renewed by every add (`renewTtl`), it no longer runs out under steady traffic.
 */
import { describe, expect, it } from 'vitest';
import { MemoryCounters } from '../../../core/store/memory-counters.js';
import { Limiter } from '../../../plugins/rate-limits/limiter.js';

const MINUTE = 60_000;

describe('rate-limits concurrency over a long-lived in-flight counter', () => {
  /*
   * Promised (limiter.ts, IN_FLIGHT_TTL): "An in-flight count that a crashed replica never took
   * back expires after this long" (15 min), and `concurrency` caps requests in flight.
   * What happens: the in-flight key gets its 15-minute TTL when it is first created and never
   * again (INCRBY/addNow keep the first expiry; the key lives on at 0 between requests). Under
   * steady traffic it therefore expires every 15 minutes from its creation, whatever is in flight:
   * the count of the requests running at that moment is lost, and when they end their -1s land on
   * a fresh key, which then reads that many less than what is in flight. For the next 15 minutes
   * the scope lets through up to twice its concurrency (here 2 + 2 with a limit of 2). Same on
   * Redis (ADD only PEXPIREs a key without a TTL) and on SQLite/memory.
   */
  it('never admits more requests at once than its concurrency, across the counter TTL', () => {
    let now = Date.UTC(2026, 11, 5, 10, 0, 0);
    const counters = new MemoryCounters(() => now);
    const limiter = new Limiter('provider:up', { concurrency: 2 }, counters);

    // Steady traffic: requests come and go, and two are always running.
    expect(limiter.admit(now)).toBe(0);
    expect(limiter.admit(now)).toBe(0);
    for (let minute = 1; minute <= 15; minute++) {
      now += MINUTE;
      void limiter.ended();
      expect(limiter.admit(now)).toBe(0);
    }
    // 15 minutes after the key was made, two requests are in flight (the two admitted last)...
    now += 1;
    const admittedNow = [limiter.admit(now), limiter.admit(now)];
    // ...so a third and a fourth at the same time must wait.
    expect(admittedNow.map((wait) => (wait === 0 ? 'admitted' : 'refused'))).toEqual(['refused', 'refused']);
  });
});
