/**
 * Money across replicas: a budget's give-back that Redis applied, on a connection that then died
 * before its answer came, is not sent again. Needs REDIS_URL.
 *
 * Before its fix: the give-back (a settlement below its reservation: actual - reserved < 0) timed
 * out and was held in the ledger as on its way; the liveness check then destroyed the silent
 * connection, node-redis rejected the call, and the rejection was taken as "not applied": the
 * mover sent the same -$0.40 again. Redis showed $0.20 spent where $0.60 was, for good, and
 * replica B was let reserve $0.80 more on a $1.00 budget. A rejection from a connection that died
 * says nothing about whether Redis ran the command: such a call is now settled on the stricter side
 * (core/store/bounded-counters.ts header): a take is moved again, a give-back is dropped; only an
 * error that shows nothing was sent (`Counters.neverApplied`) moves a give-back.
 */
import { createClient, type RedisClientType } from 'redis';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../core/logger.js';
import { BoundedCounters } from '../../../core/store/bounded-counters.js';
import { RedisCounters } from '../../../core/store/redis-counters.js';
import { watchRedisLiveness } from '../../../core/store/redis-liveness.js';
import { reserve, type BudgetWindow } from '../../../plugins/auth/budget.js';
import { startStallableProxy } from '../../support/stallable-proxy.js';

const REDIS_URL = process.env.REDIS_URL;
const PREFIX = `test:give-back-died:${process.pid}:${Date.now().toString(36)}:`;
const DAY = 86_400_000;

async function until(condition: () => boolean | Promise<boolean>, what: string, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe.skipIf(!REDIS_URL)('a give-back whose connection died after Redis applied it', () => {
  const closers: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
  });

  it('is not sent again: another replica cannot reserve past the budget', async () => {
    const url = new URL(REDIS_URL!);
    const proxy = await startStallableProxy(url.hostname, Number(url.port || 6379));
    closers.push(() => proxy.close());
    const proxied = new URL(REDIS_URL!);
    proxied.port = String(proxy.port);

    // Replica A reaches Redis through the proxy, with the store's liveness check (faster here).
    const clientA = createClient({ url: proxied.toString(), disableOfflineQueue: true, socket: { reconnectStrategy: () => 50 } }) as RedisClientType;
    clientA.on('error', () => undefined);
    let readies = 0;
    clientA.on('ready', () => readies++);
    await clientA.connect();
    const replicaA = new BoundedCounters(new RedisCounters(clientA, PREFIX), silentLogger, 100);
    const stopWatching = watchRedisLiveness(clientA, silentLogger, { everyMs: 100, deadAfterMs: 300 });
    closers.push(async () => clientA.destroy(), async () => stopWatching(), () => replicaA.close());

    // Replica B reaches Redis directly.
    const clientB = (await createClient({ url: REDIS_URL }).connect()) as RedisClientType;
    const replicaB = new BoundedCounters(new RedisCounters(clientB, PREFIX), silentLogger, 100);
    closers.push(async () => {
      const keys = await clientB.keys(`${PREFIX}*`);
      if (keys.length > 0) await clientB.del(keys);
      await clientB.quit();
    }, () => replicaB.close());
    const inRedis = async () => Number((await clientB.get(`${PREFIX}budget:key-1:2026-12-05`)) ?? 0);

    // A $1.00 daily budget.
    const windows: BudgetWindow[] = [{ name: 'daily', counter: 'budget:key-1:2026-12-05', period: '2026-12-05', limitMicros: 1_000_000, ttlMs: 2 * DAY, resetsAt: Date.now() + DAY }];

    // Replica A reserves the most its request can cost: the whole budget.
    const first = await reserve(replicaA, windows, 1_000_000);
    expect(first.ok).toBe(true);
    expect(await inRedis()).toBe(1_000_000);

    // The answer cost $0.60: the settlement gives back $0.40. Redis applies it, its answer is lost.
    readies = 0;
    proxy.deafen();
    if (!first.ok) throw new Error('unreachable');
    await first.release(600_000);
    await until(async () => (await inRedis()) === 600_000, 'Redis to apply the give-back');
    // The liveness check ends the silent connection and makes a new one.
    await until(() => readies >= 1 && clientA.isReady, 'replica A to connect again');
    // Replica A's next call on the key moves what its ledger holds.
    await replicaA.get(windows[0]!.counter);

    // Spent: $0.60; what Redis shows every replica must say so. Replica B's request that could cost
    // $0.80 must then be refused ($0.60 + $0.80 > $1.00).
    const shown = await inRedis();
    const second = await reserve(replicaB, windows, 800_000);
    expect({ redisShowsSpentMicros: shown, replicaBMayReserve80Cents: second.ok }).toEqual({ redisShowsSpentMicros: 600_000, replicaBMayReserve80Cents: false });
  });
});
