/**
 * Counters on a Redis that stalls (behind a proxy that swallows or holds every byte): a call is
 * answered locally after its bounded wait, and nothing is counted twice or lost. A take answered
 * locally is moved into Redis when it answers again, so its take-back nets out there; an add that
 * timed out but reached Redis late leaves the local ledger; a lease granted late is given back.
 * Needs REDIS_URL.
 */
import { describe, expect, it } from 'vitest';
import { exclusively, RedisLeases } from '../../../core/store/exclusive.js';
import { stalledRedisCounters } from '../../support/stalled-redis-counters.js';

const REDIS_URL = process.env.REDIS_URL;
const { setUp, inRedis, prefix: PREFIX, admin } = stalledRedisCounters('stall', 150);

describe.skipIf(!REDIS_URL)('counters on a stalling Redis', () => {
  it('a take answered locally and its take-back net out in Redis', async () => {
    const { proxy, client, counters } = await setUp();
    await counters.add('budget', 100);
    proxy.stall('black-hole');
    // The take goes into the black hole, times out and is counted here.
    expect(await counters.add('budget', 30)).toBe(30);
    // The connection dies (the swallowed take never reached Redis); a new one works.
    proxy.resume();
    proxy.cut();
    await expect.poll(() => client.ping().then(() => true, () => false), { timeout: 5000 }).toBe(true);
    // The take reaches Redis (moved in the background, or before the next call on its key once the
    // second after the failure, when calls are answered here at once, has passed)...
    await expect.poll(() => counters.get('budget'), { timeout: 5000 }).toBe(130);
    expect(await inRedis('budget')).toBe(130);
    // ...so its take-back nets out there.
    await counters.add('budget', -30);
    expect(await inRedis('budget')).toBe(100);
    expect(await counters.get('budget')).toBe(100);
  });

  it('an add that timed out but reached Redis late is counted once', async () => {
    const { proxy, counters } = await setUp();
    await counters.add('spend', 1);
    // The add waits in the proxy (not CLIENT PAUSE, which would stall every other test file on this
    // Redis); it times out here and is counted locally meanwhile.
    proxy.stall('hold');
    expect(await counters.add('spend', 5)).toBe(5);
    setTimeout(() => proxy.resume(), 450);
    // Redis applies it when the bytes flow again: the local count leaves the ledger, nothing is moved twice.
    await expect.poll(() => inRedis('spend'), { timeout: 5000 }).toBe(6);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await inRedis('spend')).toBe(6);
    // With Redis away again, this process's own count holds nothing Redis already has.
    proxy.stall('black-hole');
    expect(await counters.get('spend')).toBe(0);
  });

  it('a sequence number Redis answers late is refused, never drawn here, and not handed out again', async () => {
    const { proxy, counters } = await setUp();
    expect(await counters.next('log')).toBe(1);
    proxy.stall('hold');
    await expect(counters.next('log')).rejects.toMatchObject({ code: 'store_unavailable', status: 503 });
    proxy.resume();
    // Redis drew 2 for the refused call when its bytes flowed again: a gap, where a local count or a
    // take-back would have handed out a number another replica also gets.
    await expect.poll(() => inRedis('log'), { timeout: 5000 }).toBe(2);
    expect(await counters.next('log')).toBe(3);
  });

  it('a lease Redis grants late is refused, then given back: it holds up no one for its whole time', async () => {
    const { proxy, client } = await setUp();
    const leases = new RedisLeases(client, 150, PREFIX);
    proxy.stall('hold');
    await expect(leases.claim('keys:k1', 30_000)).rejects.toMatchObject({ code: 'store_unavailable', status: 503 });
    proxy.resume();
    // Redis set the lease when the held bytes flowed; the claimant, told it failed, ends it.
    await expect.poll(async () => (await admin()).exists(`${PREFIX}keys:k1`), { timeout: 5000 }).toBe(0);
    expect(await exclusively(leases, 'keys:k1', async () => 'changed', { waitMs: 0 })).toBe('changed');
  });

  it('under a stall every call answers within its bound', async () => {
    const { proxy, counters } = await setUp();
    proxy.stall('black-hole');
    const started = performance.now();
    await Promise.all([counters.add('a', 1, 60_000), counters.get('a'), counters.ttl('a'), counters.delete('b'), counters.takeFromBucket('c', 1, 5, 1)]);
    expect(performance.now() - started).toBeLessThan(1000);
  });
});
