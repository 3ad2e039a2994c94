/**
 * BoundedCounters on the real Redis behind a stallable proxy, for the store's stall tests. Each
 * test gets its own proxy, client and counters, closed after it; the file's keys live under a
 * prefix of its own, removed after all its tests. Needs REDIS_URL.
 */
import { createClient, type RedisClientType } from 'redis';
import { afterAll, afterEach } from 'vitest';
import { silentLogger } from '../../core/logger.js';
import { BoundedCounters } from '../../core/store/bounded-counters.js';
import { RedisCounters } from '../../core/store/redis-counters.js';
import { startStallableProxy, type StallableProxy } from './stallable-proxy.js';

export interface StalledRedisCounters {
  /** The file's key prefix in Redis. */
  readonly prefix: string;
  /** A proxy in front of Redis, a client through it, and counters on that client with `timeoutMs`. */
  setUp(): Promise<{ proxy: StallableProxy; client: RedisClientType; counters: BoundedCounters }>;
  /** What Redis itself holds for a counter, read past the proxy. */
  inRedis(key: string): Promise<number>;
  /** A client straight to Redis, past the proxy. */
  admin(): Promise<RedisClientType>;
}

/** Call at the top of a test file: registers the hooks that close and clean up after its tests. */
export function stalledRedisCounters(name: string, timeoutMs: number): StalledRedisCounters {
  const redisUrl = process.env.REDIS_URL;
  const prefix = `test:${name}:${process.pid}:${Date.now().toString(36)}:`;
  const opened: Array<{ close(): Promise<unknown> }> = [];
  let direct: RedisClientType | undefined;
  const admin = async () => (direct ??= await (createClient({ url: redisUrl }) as RedisClientType).connect());

  afterEach(async () => {
    for (const resource of opened.splice(0).reverse()) await resource.close().catch(() => undefined);
  });
  afterAll(async () => {
    if (!direct) return;
    const keys = await direct.keys(`${prefix}*`);
    if (keys.length > 0) await direct.del(keys);
    await direct.quit();
  });

  return {
    prefix,
    admin,
    async setUp() {
      const url = new URL(redisUrl!);
      await admin();
      const proxy = await startStallableProxy(url.hostname, Number(url.port || 6379));
      url.port = String(proxy.port);
      const client = createClient({ url: url.toString(), disableOfflineQueue: true, socket: { reconnectStrategy: () => 50 } }) as RedisClientType;
      client.on('error', () => undefined);
      await client.connect();
      const counters = new BoundedCounters(new RedisCounters(client, prefix), silentLogger, timeoutMs);
      opened.push({ close: () => counters.close() }, { close: async () => client.isOpen && client.disconnect() }, proxy);
      return { proxy, client, counters };
    },
    inRedis: async (key) => Number((await (await admin()).get(prefix + key)) ?? 0),
  };
}
