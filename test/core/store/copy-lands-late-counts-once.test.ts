/**
 * A copy of a call (sent again under its id) that reaches Redis late, long after it was sent,
 * counts once: the id is remembered for the send-again window plus 150 s, longer than Linux goes
 * on resending what a closed socket held. The proxy's `hold` stands for the delay. Needs REDIS_URL.
 *
 * Before its fix (a review of the fifty-ninth session's own change): the id was remembered for 4
 * times the window (here, with a 10 ms timeout, 4.8 s; in production 120 s against a 30 s window),
 * so a copy held a little longer than that was applied a second time: a give-back given twice.
 * What is left: a copy delayed past the window plus 150 s (a Redis or VM frozen that long with
 * the copy in its socket) would still be applied again.
 */
import { createClient, type RedisClientType } from 'redis';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../core/logger.js';
import { BoundedCounters } from '../../../core/store/bounded-counters.js';
import { connectRedis } from '../../../core/store/redis-connect.js';
import { RedisCounters } from '../../../core/store/redis-counters.js';
import { stallableRedis } from '../../support/stallable-proxy.js';

const REDIS_URL = process.env.REDIS_URL;
const PREFIX = `test:review-counters:late-copy:${process.pid}:${Date.now().toString(36)}:`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(!REDIS_URL)('a copy that reaches Redis after its id was forgotten', () => {
  const closers: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
  });

  it('a give-back applied (its answer lost) counts once even if a copy lands late', async () => {
    const { proxy, url: proxied } = await stallableRedis(REDIS_URL!);
    closers.push(() => proxy.close());
    const client = await connectRedis(proxied, silentLogger, 2000, 30_000);
    const counters = new BoundedCounters(new RedisCounters(client, PREFIX), silentLogger, 10); // sent again for 1.2 s, the id kept 151.2 s
    closers.push(async () => client.destroy(), () => counters.close());
    const direct = (await createClient({ url: REDIS_URL }).connect()) as RedisClientType;
    closers.push(async () => {
      const keys = await direct.keys(`${PREFIX}*`);
      if (keys.length > 0) await direct.del(keys);
      await direct.quit();
    });
    const inRedis = async () => Number((await direct.get(`${PREFIX}budget:k`)) ?? 0);

    await counters.add('budget:k', 100, 60_000);
    proxy.deafen(); // the give-back reaches Redis, its answer never comes back
    await counters.add('budget:k', -40, 60_000, { exactlyOnce: true });
    const deadline = Date.now() + 2000;
    while ((await inRedis()) !== 60 && Date.now() < deadline) await sleep(5);
    expect(await inRedis()).toBe(60);
    proxy.stall('hold'); // what the connection carries from now on is delayed
    await sleep(5500); // a copy is sent within the window (at the mover's tick), and held past the id's 4.8 s
    proxy.resume();
    await sleep(300);
    // Expected 60. Actual: 20, the give-back applied twice.
    expect(await inRedis()).toBe(60);
  }, 15_000);
});
