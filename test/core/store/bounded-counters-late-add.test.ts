/**
 * BoundedCounters (core/store/bounded-counters.ts) on a real Redis behind a stallable proxy: an add
 * that ran out of time is still on its way, so moving its amount from the ledger sends it twice.
 * Needs REDIS_URL.
 *
 * Before its fix: a budget's give-back (-40) timed out under a burst and was counted in the ledger;
 * a read of the key moved that -40 into Redis while the first one was still on its way. Redis
 * applied both: for up to a second (until the next move sent +40 back), every other replica saw the
 * budget 40 lower than it was spent, and could reserve a request past it. The lowest value Redis
 * showed was 20 where 60 was spent; .ci/run once served 101 requests on a budget of 100.5
 * (test/e2e/exact-budgets.test.ts, two replicas sharing Redis).
 */
import { describe, expect, it } from 'vitest';
import { RedisCounters } from '../../../core/store/redis-counters.js';
import { stalledRedisCounters } from '../../support/stalled-redis-counters.js';

const REDIS_URL = process.env.REDIS_URL;
const { setUp, inRedis } = stalledRedisCounters('late-add', 100);

/** The lowest value Redis shows for `key` while `ms` pass, read every few milliseconds. */
async function lowestFor(key: string, ms: number): Promise<number> {
  let lowest = Infinity;
  const until = Date.now() + ms;
  while (Date.now() < until) {
    lowest = Math.min(lowest, await inRedis(key));
    await new Promise((resolve) => setTimeout(resolve, 3));
  }
  return lowest;
}

describe.skipIf(!REDIS_URL)('bounded counters: an add that timed out is on its way, not lost', () => {
  it('a read while a timed-out give-back is on its way does not send it again: Redis never shows less than was spent', async () => {
    const { proxy, counters } = await setUp();
    expect(await counters.add('budget', 100, 86_400_000, { exact: true })).toBe(100);
    proxy.stall('hold');
    // The give-back times out (100 ms) and is counted here; its bytes wait in the proxy.
    expect(await counters.add('budget', -40, 86_400_000)).toBe(-40);
    // A request reads the key (the budget check before a reservation): it moves what the ledger holds.
    const read = counters.get('budget');
    await new Promise((resolve) => setTimeout(resolve, 20));
    proxy.resume();
    await read;
    // What another replica sees from now on: 60 spent, never less; and 60 once everything has moved.
    expect(await lowestFor('budget', 2500)).toBe(60);
    expect(await counters.get('budget')).toBe(60);
  });

  it('a move that timed out is not sent again while it is on its way', async () => {
    const { proxy, counters } = await setUp();
    expect(await counters.add('budget-2', 100, 86_400_000, { exact: true })).toBe(100);
    proxy.stall('hold');
    // Another key's add times out: for a second, adds are answered here without asking Redis, so
    // the give-back is owed to Redis, in the ledger, and not on its way.
    await counters.add('other', 1, 86_400_000);
    expect(await counters.add('budget-2', -40, 86_400_000)).toBe(-40);
    // Two reads while Redis is held: the first's move times out and waits in the proxy; the second
    // must not send the same -40 again.
    await counters.get('budget-2');
    await counters.get('budget-2');
    proxy.resume();
    expect(await lowestFor('budget-2', 2500)).toBe(60);
    expect(await counters.get('budget-2')).toBe(60);
  });
});

describe.skipIf(!REDIS_URL)('redis counters: which failed calls changed nothing', () => {
  it('a call on a closed client was never sent; one cut off in flight cannot tell', async () => {
    const { proxy, client } = await setUp();
    const redis = new RedisCounters(client, 'test:late-add:never-applied:');
    proxy.stall('hold');
    const inFlight = redis.add('x', 1).catch((error: unknown) => error);
    client.destroy(); // as the liveness check ends a connection that answers nothing
    const cutOff = await inFlight;
    const closed = await redis.add('x', 1).catch((error: unknown) => error);
    expect([redis.neverApplied(cutOff), redis.neverApplied(closed)]).toEqual([false, true]);
    proxy.resume();
  });
});
