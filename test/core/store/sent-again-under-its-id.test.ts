/**
 * Calls whose connection died with them in flight, on real Redis behind a proxy that loses them:
 * sent again under their id until answered, they count once whether or not the first one landed.
 * Needs REDIS_URL.
 *
 * Before its fix (the fifty-ninth session): such a call was of unknown fate and settled on the
 * stricter side (core/store/bounded-counters.ts header). A budget's give-back lost on its way was
 * dropped: the key was charged the whole reservation, $1.00 where $0.60 was spent, until the day
 * ended, and another replica was refused a request the budget had room for. A move (a count
 * answered locally, moved into Redis once it answered again) that Redis applied and whose answer
 * was lost was moved again: counted twice. Both now go under an id Redis remembers
 * (`Counters.addOnce`), and a copy is sent until one is answered. The second case (a give-back
 * applied, its answer lost) passed before too, since it was dropped: it guards that the copy sent
 * now is not applied again.
 */
import { createClient, type RedisClientType } from 'redis';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../core/logger.js';
import { BoundedCounters } from '../../../core/store/bounded-counters.js';
import { connectRedis } from '../../../core/store/redis-connect.js';
import { RedisCounters } from '../../../core/store/redis-counters.js';
import { watchRedisLiveness } from '../../../core/store/redis-liveness.js';
import { reserve, type BudgetWindow } from '../../../plugins/auth/budget.js';
import { stallableRedis, type StallableProxy } from '../../support/stallable-proxy.js';

const REDIS_URL = process.env.REDIS_URL;
const PREFIX = `test:sent-again:${process.pid}:${Date.now().toString(36)}:`;
const DAY = 86_400_000;

async function until(condition: () => boolean | Promise<boolean>, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(!REDIS_URL)('a call whose connection died with it in flight, on Redis', () => {
  const closers: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
  });

  /** Replica A reaches Redis through a proxy, with the store's liveness check (faster here); `direct` reads Redis itself. */
  async function replicaThroughProxy(): Promise<{ proxy: StallableProxy; replica: BoundedCounters; client: RedisClientType; direct: RedisClientType; readies: () => number }> {
    const { proxy, url: proxied } = await stallableRedis(REDIS_URL!);
    closers.push(() => proxy.close());
    // The store's own connection, with shorter waits (core/store/redis-connect.ts).
    const client = await connectRedis(proxied, silentLogger, 2000, 500);
    let readies = 0;
    client.on('ready', () => readies++);
    const replica = new BoundedCounters(new RedisCounters(client, PREFIX), silentLogger, 100);
    const stopWatching = watchRedisLiveness(client, silentLogger, { everyMs: 100, deadAfterMs: 300 });
    closers.push(async () => client.destroy(), async () => stopWatching(), () => replica.close());
    const direct = (await createClient({ url: REDIS_URL }).connect()) as RedisClientType;
    closers.push(async () => {
      const keys = await direct.keys(`${PREFIX}*`);
      if (keys.length > 0) await direct.del(keys);
      await direct.quit();
    });
    return { proxy, replica, client, direct, readies: () => readies };
  }

  it('a give-back lost on its way is sent again once Redis answers, and counts', async () => {
    const { proxy, replica, client, direct, readies } = await replicaThroughProxy();
    const counter = 'budget:key-1:2026-12-07';
    const inRedis = async () => Number((await direct.get(`${PREFIX}${counter}`)) ?? 0);
    const windows: BudgetWindow[] = [{ name: 'daily', counter, period: '2026-12-07', limitMicros: 1_000_000, ttlMs: 2 * DAY, resetsAt: Date.now() + DAY }];

    const first = await reserve(replica, windows, 1_000_000);
    if (!first.ok) throw new Error('the first reservation was refused');
    expect(await inRedis()).toBe(1_000_000);

    // The answer cost $0.60: the settlement gives back $0.40, into a path that swallows it.
    proxy.stall('black-hole');
    const readiesBefore = readies();
    await first.release(600_000);
    await sleep(600); // the liveness check ends the dead connection
    expect(await inRedis()).toBe(1_000_000); // the give-back never reached Redis
    proxy.resume();
    await until(() => readies() > readiesBefore && client.isReady, 'replica A to connect again');
    await until(async () => (await inRedis()) !== 1_000_000, 'the give-back to be sent again', 5000).catch(() => undefined);

    // Spent: $0.60, so a request that may cost $0.40 fits, on any replica.
    const direct2 = new BoundedCounters(new RedisCounters(direct, PREFIX), silentLogger, 100);
    closers.push(() => direct2.close());
    const shown = await inRedis();
    const second = await reserve(direct2, windows, 400_000);
    expect({ redisShowsSpentMicros: shown, replicaBMayReserve40Cents: second.ok }).toEqual({ redisShowsSpentMicros: 600_000, replicaBMayReserve40Cents: true });
  });

  it('a give-back Redis applied, whose answer was lost, is sent again and counts once', async () => {
    const { proxy, replica, client, direct, readies } = await replicaThroughProxy();
    const counter = 'budget:key-2:2026-12-07';
    const inRedis = async () => Number((await direct.get(`${PREFIX}${counter}`)) ?? 0);
    const windows: BudgetWindow[] = [{ name: 'daily', counter, period: '2026-12-07', limitMicros: 1_000_000, ttlMs: 2 * DAY, resetsAt: Date.now() + DAY }];

    const first = await reserve(replica, windows, 1_000_000);
    if (!first.ok) throw new Error('the first reservation was refused');
    const readiesBefore = readies();
    proxy.deafen();
    await first.release(600_000);
    await until(async () => (await inRedis()) === 600_000, 'Redis to apply the give-back');
    await until(() => readies() > readiesBefore && client.isReady, 'replica A to connect again');
    await sleep(2500); // the copy is sent (one tick of the mover a second) and answered
    expect(await inRedis()).toBe(600_000);
  });

  it('a move Redis applied, whose answer was lost, is not counted twice', async () => {
    const { proxy, replica, client, direct, readies } = await replicaThroughProxy();
    const counter = 'rpm:key-3:29123456';
    const inRedis = async () => Number((await direct.get(`${PREFIX}${counter}`)) ?? 0);

    // Redis is away (the connection cut, the client reconnecting): an add is answered locally.
    const readiesBefore = readies();
    proxy.stall('black-hole');
    await until(() => !client.isReady, 'the liveness check to end the dead connection');
    expect(await replica.add(counter, 5, 60_000)).toBe(5);
    expect(await inRedis()).toBe(0);

    // Back, but deaf: the move that carries the 5 is applied, its answer lost.
    proxy.resume();
    await until(() => readies() > readiesBefore && client.isReady, 'replica A to connect again');
    const readiesDeaf = readies();
    proxy.deafen();
    await until(async () => (await inRedis()) === 5, 'the move to reach Redis');
    await until(() => readies() > readiesDeaf && client.isReady, 'replica A to connect again after the deaf connection');
    await sleep(2500); // whatever the replica sends of that move now
    expect(await inRedis()).toBe(5);
    expect(await replica.get(counter)).toBe(5);
  });
});
