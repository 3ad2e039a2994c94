/**
 * A Redis behind a dead network path (the proxy's 'black-hole': bytes are
 * swallowed, nothing is closed, as a dropped route or a failed-over IP looks to a client).
 *
 * docs/reliability.md ("Backing stores"): "Redis stalls (a dead network path, a paused server) |
 * Every counter call waits at most 250 ms, then is answered from the process's own memory (a
 * budget reservation waits up to 1 s, then refuses with a retryable 503)"; docs/deployment.md:
 * "the replica counts in its own memory until Redis answers again". So once the path works again,
 * the gateway must use Redis again within seconds.
 *
 * Before its fix (a reliability review found it) the Redis client never noticed that its
 * connection was dead: commands timed out one by one (BoundedCounters answered them locally) but
 * the socket was never torn down, so no reconnect happened. On a real dead path the kernel gives up
 * after tcp_retries2 (~15 minutes); behind a path that drops silently (the proxy's black hole, a
 * NAT entry that expired), never. Meanwhile every request of a key with a budget was refused (503
 * store_unavailable). core/store/redis-liveness.ts now pings the connection and makes a new one.
 *
 * The second case, before its fix (the fifty-ninth session): a path dead for longer than the
 * liveness check waits (3 s) had the new connection made inside it, and node-redis waits for a new
 * connection's handshake without a deadline: the gateway never used Redis again. A silent
 * connection is now ended (core/store/redis-connect.ts, `REDIS_SILENT_CONNECTION_MS`).
 */
import OpenAI from 'openai';
import { createClient, type RedisClientType } from 'redis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { auth } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { mockProvider, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { startStallableProxy, type StallableProxy } from '../support/stallable-proxy.js';

const REDIS_URL = process.env.REDIS_URL;
const ADMIN = 'review-reliability-admin-key-0123456789';
let upstream: MockUpstream;
let proxy: StallableProxy;
let gw: RunningGateway;
const keyIds: string[] = [];

beforeAll(async () => {
  if (!REDIS_URL) return;
  upstream = await startMockUpstream();
  const redis = new URL(REDIS_URL);
  proxy = await startStallableProxy(redis.hostname, Number(redis.port || 6379));
  gw = await startGateway({ store: `redis://127.0.0.1:${proxy.port}`, providers: { mock: mockProvider(upstream) }, plugins: [auth({ adminKey: ADMIN })] });
});
afterAll(async () => {
  await gw?.close();
  await proxy?.close();
  await upstream?.close();
  // What this test made in the shared Redis (its key's records and counters), straight to Redis.
  if (!REDIS_URL || keyIds.length === 0) return;
  const redis = (await createClient({ url: REDIS_URL }).connect()) as RedisClientType;
  try {
    const mine: string[] = [];
    for await (const found of redis.scanIterator({ MATCH: 'llm-gateway:*', COUNT: 1000 })) {
      for (const key of Array.isArray(found) ? found : [found]) {
        if (keyIds.some((id) => key.includes(id))) mine.push(key);
        else if (key.startsWith('llm-gateway:keys') && (await redis.type(key)) === 'string') {
          const value = await redis.get(key);
          if (keyIds.some((id) => value?.includes(id))) mine.push(key);
        }
      }
    }
    if (mine.length > 0) await redis.del(mine);
  } finally {
    await redis.quit();
  }
});

it.skipIf(!REDIS_URL)('uses Redis again once a dead network path to it works again (budgets are spent again)', async () => {
  const created = await fetch(`${gw.url}/admin/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: `dead-path-${Date.now()}`, budget: { dailyUsd: 5 } }),
  });
  const { id, secret } = (await created.json()) as { id: string; secret: string };
  keyIds.push(id);
  const client = new OpenAI({ baseURL: gw.baseURL, apiKey: secret, maxRetries: 0 });
  const ask = () => client.chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'x' }] }).then((a) => a.choices[0]?.message.content, (e: { status?: number }) => e.status);
  expect(await ask()).toBe('echo: x');

  // The path dies: as documented, budgeted requests are refused (503) rather than hang.
  proxy.stall('black-hole');
  expect(await ask()).toBe(503);

  // The path works again (new connections get through). The gateway must find Redis again.
  proxy.resume();
  await expect.poll(ask, { timeout: 20_000, interval: 1000 }).toBe('echo: x');
}, 40_000);

it.skipIf(!REDIS_URL)('uses Redis again after a path dead for longer than the liveness check waits', async () => {
  const created = await fetch(`${gw.url}/admin/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: `dead-path-long-${Date.now()}`, budget: { dailyUsd: 5 } }),
  });
  const { id, secret } = (await created.json()) as { id: string; secret: string };
  keyIds.push(id);
  const client = new OpenAI({ baseURL: gw.baseURL, apiKey: secret, maxRetries: 0 });
  const ask = () => client.chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'x' }] }).then((a) => a.choices[0]?.message.content, (e: { status?: number }) => e.status);
  await expect.poll(ask, { timeout: 20_000, interval: 500 }).toBe('echo: x');

  // Dead for 6 s: the liveness check ends the connection (3 s) and a new one is made inside the dead path.
  proxy.stall('black-hole');
  await new Promise((resolve) => setTimeout(resolve, 6000));
  expect(await ask()).toBe(503);
  proxy.resume();
  await expect.poll(ask, { timeout: 25_000, interval: 1000 }).toBe('echo: x');
}, 60_000);
