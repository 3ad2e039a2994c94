/**
 * gateway:rate-limits' `concurrency` after the clock jumps forward past the in-flight count's TTL
 * (15 min): a VM or laptop resumed after a pause, a container frozen by its orchestrator (or
 * simply streams that run longer than 15 minutes with nothing else starting in the scope).
 *
 * The in-flight count expires while requests are still running; when they end, each `-1` lands on
 * a new, empty count (plugins/rate-limits/limiter.ts inFlightNow/inFlight: addNow(…, -1, TTL,
 * renew)), which then reads below zero. Every later add renews that TTL, so under traffic the
 * negative count never expires: the scope lets through its concurrency *plus* the number of
 * requests that were in flight at the pause, for good. Same on Redis (the ADD script's INCRBY on
 * an expired key).
 *
 * Before its fix the count read -2 and four were admitted. Now the count never goes below 0
 * (`AddOptions.atLeast`, in memory and in Redis's ADD script).
 */
import { describe, expect, it } from 'vitest';
import { MemoryCounters } from '../../../core/store/memory-counters.js';
import { Limiter } from '../../../plugins/rate-limits/limiter.js';

const MINUTE = 60_000;

describe('concurrency after a 20-minute pause with requests in flight', () => {
  it('never admits more requests at once than its concurrency', () => {
    let now = Date.UTC(2026, 11, 5, 10, 0, 0);
    const counters = new MemoryCounters(() => now);
    const limiter = new Limiter('provider:up', { concurrency: 2 }, counters);

    // Two long streams are running.
    expect(limiter.admit(now)).toBe(0);
    expect(limiter.admit(now)).toBe(0);
    // The machine is paused for 20 minutes; on resume both streams fail and end.
    now += 20 * MINUTE;
    void limiter.ended();
    void limiter.ended();
    expect(counters.getNow('limits:provider:up:inflight')).toBeGreaterThanOrEqual(0); // before a fix: -2

    // Steady traffic afterwards: at most 2 at once must be admitted.
    const admitted = [0, 1, 2, 3].map(() => limiter.admit(now)).filter((wait) => wait === 0).length;
    // Before a fix: 4 admitted with a concurrency of 2 (and it stays so while traffic renews the count).
    expect(admitted).toBe(2);
  });
});
