/**
 * A concurrency limit on Redis gives its slot back after a request spans a Redis stall that ends
 * in a dropped connection (what the store's liveness check does to a stall longer than ~3 s).
 *
 * Before its fix: the request's +1 reached Redis; Redis stalled while it ran, and its give-back
 * (-1) timed out and was held as on its way. The connection then died, so the -1's fate was
 * unknown, and as a give-back it was dropped (the stricter side for money). Redis kept one request
 * in flight when none was, and since every admission renews the count's expiry, the slot never
 * freed while clients kept asking: with concurrency 1 every request was refused from then on, and
 * each such stall closed one more slot for good. A give-back of unknown fate on a count with a
 * floor (requests in flight) is now moved again: sent twice, the floor holds the count at 0 once
 * those requests end (core/store/bounded-counters.ts header).
 */
import { describe, expect, it } from 'vitest';
import { Limiter } from '../../../plugins/rate-limits/limiter.js';
import { stalledRedisCounters } from '../../support/stalled-redis-counters.js';

const REDIS_URL = process.env.REDIS_URL;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(condition: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe.skipIf(!REDIS_URL)('in-flight counts across a Redis connection that dies mid-request', () => {
  const redis = stalledRedisCounters('inflight-connection-death', 100);

  it('a request that ended during a stall leaves no slot taken once Redis is back', async () => {
    const { proxy, client, counters } = await redis.setUp();
    const scope = new Limiter('p/m', { concurrency: 1 }, counters);
    const inFlightKey = 'limits:p/m:inflight';

    // Redis answers: a request comes and goes, nothing is left in flight.
    expect(await scope.admit(Date.now())).toBe(0);
    await scope.ended();
    expect(await redis.inRedis(inFlightKey)).toBe(0);

    // A request is admitted while Redis answers: Redis counts it in flight.
    expect(await scope.admit(Date.now())).toBe(0);
    expect(await redis.inRedis(inFlightKey)).toBe(1);
    // Redis stalls while it runs; it ends, and its give-back (-1) times out on the stalled connection.
    proxy.stall('hold');
    await scope.ended();

    // The connection dies (the store's liveness check ends a silent one): nothing held reached Redis.
    let reconnected = false;
    client.once('ready', () => (reconnected = true));
    proxy.cut();
    proxy.resume();
    await until(() => reconnected, 'the client to reconnect');
    // Let the mover (every second) bring the ledger into Redis.
    await sleep(2500);

    // Nothing is in flight; Redis should say so, and the next request should be let through.
    const leaked = await redis.inRedis(inFlightKey);
    const waitMs = await scope.admit(Date.now());
    if (waitMs === 0) await scope.ended();
    expect({ inFlightInRedis: leaked, nextRequestWaitMs: waitMs }).toEqual({ inFlightInRedis: 0, nextRequestWaitMs: 0 });
  });
});
