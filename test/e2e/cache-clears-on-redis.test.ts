/**
 * `DELETE /v1/cache` on replicas sharing the real Redis (REDIS_URL): a clear is obeyed by every
 * lookup on every replica, whatever the replicas' views list, and a clear Redis does not take in
 * time is a retryable 503 that changed nothing.
 *
 * Before its fix (a review of the cache at scale): a restarted replica's view is the log's newest
 * `maxEntries` records, so an entry kept hot by hits past that window was in no view; the clear
 * answered 200, deleted the entries the view listed, and the hot entry stayed a hit on every
 * replica until its TTL. A clear cut off by a stalled Redis answered a plain 500 (not retryable),
 * and one whose deletes were lost could not be retried: the view had already let its entries go.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cache } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { mockProvider, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { ownRedisDatabase } from '../support/redis-databases.js';
import { stallableRedis } from '../support/stallable-proxy.js';

const REDIS_URL = process.env.REDIS_URL;
const ADMIN_KEY = 'cache-clears-on-redis-admin-key-0123456789';
if (!REDIS_URL) console.warn('REDIS_URL is not set: the cache clear tests on Redis are skipped; .ci/run sets it.');

describe.skipIf(!REDIS_URL)('cache clears on Redis', () => {
  let upstream: MockUpstream;
  const open: RunningGateway[] = [];
  const store = () => ownRedisDatabase(REDIS_URL!, 'cacheClearsOnRedis');
  const run = Date.now().toString(36);

  beforeAll(async () => {
    upstream = await startMockUpstream();
  });
  afterAll(async () => {
    await Promise.all(open.map((g) => g.close().catch(() => undefined)));
    await upstream?.close();
  });

  const gateway = async (storeUrl: string, maxEntries: number) => {
    const gw = await startGateway({
      store: storeUrl,
      server: { adminKey: ADMIN_KEY },
      providers: { mock: mockProvider(upstream) },
      plugins: [cache({ maxEntries, syncIntervalMs: 200, storeTimeoutMs: 1000 })],
    });
    open.push(gw);
    return gw;
  };
  const ask = async (gw: RunningGateway, content: string) => {
    const res = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'mock/mock-small', messages: [{ role: 'user', content: `${run} ${content}` }] }) });
    await res.text();
    return res.headers.get('x-gateway-cache');
  };
  const clear = async (gw: RunningGateway) => {
    const res = await fetch(`${gw.url}/v1/cache`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    return { status: res.status, body: (await res.json()) as { deleted?: number; error?: { code: string; retryable?: boolean } } };
  };

  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

  it('a clear after a restart takes entries kept hot past the log the replicas read, on every replica', async () => {
    const first = await gateway(store(), 20);
    const hot = ['hot A', 'hot B', 'hot C'];
    for (const question of hot) expect(await ask(first, question)).toBe('miss');
    for (let i = 0; i < 60; i++) {
      expect(await ask(first, `cold ${i}`)).toBe('miss');
      for (const question of hot) expect(await ask(first, question)).toBe('hit');
    }
    await first.close();
    // Restarted, and a second replica beside it: neither view lists the hot entries.
    const restarted = await gateway(store(), 20);
    const other = await gateway(store(), 20);
    expect(await ask(restarted, 'hot A')).toBe('hit');
    const cleared = await clear(restarted);
    expect(cleared.status).toBe(200);
    expect(await ask(restarted, 'hot A')).toBe('miss');
    // The other replica, once it has read the clear (it syncs every 200 ms).
    await sleep(600);
    expect(await ask(other, 'hot B')).toBe('miss');
    // A replica started after the clear obeys it too.
    const later = await gateway(store(), 20);
    expect(await ask(later, 'hot C')).toBe('miss');
    // Answers stored after the clear are hits.
    expect(await ask(later, 'hot A')).toBe('hit');
  }, 60_000);

  it('answers a clear that Redis did not take in time with a retryable 503, changing nothing, and takes it when retried', async () => {
    const { proxy, url } = await stallableRedis(store());
    try {
      const stalled = await gateway(url, 100);
      const other = await gateway(store(), 100);
      for (const question of ['kept A', 'kept B']) {
        expect(await ask(stalled, question)).toBe('miss');
        expect(await ask(other, question)).toBe('hit');
      }
      proxy.stall('hold');
      const refused = clear(stalled);
      await sleep(1500);
      proxy.cut();
      proxy.resume();
      const answer = await refused;
      expect(answer.status).toBe(503);
      expect(answer.body.error).toMatchObject({ code: 'store_unavailable', retryable: true });
      expect(await ask(other, 'kept A'), 'nothing was cleared').toBe('hit');
      // Retried once Redis answers again (the stalled replica connects anew).
      let retried = await clear(stalled);
      for (let tries = 0; retried.status === 503 && tries < 20; tries++) retried = await (await sleep(250), clear(stalled));
      expect(retried.status).toBe(200);
      expect(await ask(stalled, 'kept A')).toBe('miss');
      await sleep(600);
      expect(await ask(other, 'kept B')).toBe('miss');
    } finally {
      await proxy.close();
    }
  }, 60_000);
});
