/**
 * The store's Redis connection made anew while the path to Redis is dead (the proxy's black hole:
 * a new connection is accepted, and nothing it sends is answered) must not wait for ever once the
 * path works again. Needs REDIS_URL.
 *
 * Before its fix (the fifty-ninth session): node-redis sends a handshake on every new connection
 * (CLIENT SETINFO) and waits for its answer without a deadline. The liveness check ended the dead
 * connection after 3 s and asked for a new one; made inside the dead path, that one's handshake
 * was never answered, so the client stayed "not ready" for good, every counter was answered
 * locally and every budgeted request refused (503), long after Redis could answer again; and the
 * liveness check, waiting on that connect, never looked again. A connection silent for
 * `REDIS_SILENT_CONNECTION_MS` is now ended by its socket's timeout, and node-redis makes another.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../core/logger.js';
import { connectRedis } from '../../../core/store/redis-connect.js';
import { watchRedisLiveness } from '../../../core/store/redis-liveness.js';
import { stallableRedis } from '../../support/stallable-proxy.js';

const REDIS_URL = process.env.REDIS_URL;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe.skipIf(!REDIS_URL)('a Redis connection made anew on a dead path', () => {
  const closers: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
  });

  it('is made again once the path works, and answers', async () => {
    const { proxy, url: proxied } = await stallableRedis(REDIS_URL!);
    closers.push(() => proxy.close());
    const client = await connectRedis(proxied, silentLogger, 2000, 500);
    const stopWatching = watchRedisLiveness(client, silentLogger, { everyMs: 100, deadAfterMs: 300 });
    closers.push(async () => client.destroy(), async () => stopWatching());
    let readies = 0;
    client.on('ready', () => readies++);
    expect(await client.ping()).toBe('PONG');

    // The path dies for long enough that the liveness check ends the connection and a new one is made inside it.
    proxy.stall('black-hole');
    await sleep(1500);
    expect(client.isReady).toBe(false);
    proxy.resume();

    const deadline = Date.now() + 5000;
    while (!(readies > 0 && client.isReady) && Date.now() < deadline) await sleep(20);
    expect({ ready: client.isReady, answers: client.isReady ? await client.ping() : undefined }).toEqual({ ready: true, answers: 'PONG' });
  });
});
