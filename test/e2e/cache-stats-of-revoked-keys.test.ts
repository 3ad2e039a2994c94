/**
 * What a gateway key leaves in the shared store (Redis) after it is revoked, under churn
 * (per-session keys created, used and revoked by a script): its per-key cache statistics expire.
 *
 * Before its fix (a review of key and team churn, the fifty-ninth session): every key that went
 * through the response cache left its counters (`cache:stats:key:<id>:…`) without an expiry, so
 * Redis grew by each churned key for good. They now expire 30 days after the key's last cached
 * request. Left: a revoked key's own records (docs/development.md).
 */
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, cache } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { mockProvider, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { ownRedisDatabase } from '../support/redis-databases.js';

const REDIS_URL = process.env.REDIS_URL;
const ADMIN = 'review-churn-admin-key-0123456789';
const admin = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };
const KEYS = 5;

describe.skipIf(!REDIS_URL)('what revoked keys leave in Redis', () => {
  let upstream: MockUpstream;
  let gw: RunningGateway;
  let redis: ReturnType<typeof createClient>;
  const revoked: string[] = [];

  beforeAll(async () => {
    const url = ownRedisDatabase(REDIS_URL!, 'cacheStatsOfRevokedKeys');
    redis = createClient({ url });
    await redis.connect();
    await redis.flushDb();
    upstream = await startMockUpstream();
    gw = await startGateway({ store: url, providers: { mock: mockProvider(upstream) }, plugins: [auth({ adminKey: ADMIN }), cache({ storeTimeoutMs: 2000 })] });
    // Per-session keys: each created, used (a miss, then a hit of the cache), revoked.
    for (let i = 0; i < KEYS; i++) {
      const created = (await (await fetch(`${gw.url}/admin/keys`, { method: 'POST', headers: admin, body: JSON.stringify({ name: `session-${i}` }) })).json()) as { id: string; secret: string };
      for (let n = 0; n < 2; n++) {
        const res = await fetch(`${gw.baseURL}/chat/completions`, {
          method: 'POST',
          headers: { authorization: `Bearer ${created.secret}`, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'mock/m', messages: [{ role: 'user', content: 'same question' }] }),
        });
        expect(res.status).toBe(200);
        await res.arrayBuffer();
      }
      expect((await fetch(`${gw.url}/admin/keys/${created.id}`, { method: 'DELETE', headers: admin })).status).toBe(200);
      revoked.push(created.id);
    }
  }, 60_000);
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
    await redis?.flushDb().catch(() => undefined);
    await redis?.quit().catch(() => undefined);
  });

  /** Redis keys naming one of the revoked keys' ids, with their PTTL (-1: never expires). */
  async function leftovers(match: (name: string) => boolean): Promise<Array<[string, number]>> {
    const names: string[] = [];
    for await (const batch of redis.scanIterator({ MATCH: '*', COUNT: 1000 })) names.push(...(Array.isArray(batch) ? batch : [batch]));
    const mine = names.filter(match);
    return Promise.all(mine.map(async (name) => [name, await redis.pTTL(name)] as [string, number]));
  }

  it("a revoked key's per-key cache statistics counters expire", async () => {
    // Settled off the response path: wait until the last key's counters are there.
    await expect.poll(async () => (await leftovers((n) => n.includes(`cache:stats:key:${revoked.at(-1)}`))).length).toBeGreaterThan(0);
    const stats = await leftovers((name) => name.includes('cache:stats:key:') && revoked.some((id) => name.includes(id)));
    // Actual: 7+ counters a key (hits, misses, tokensSaved, … and the same per model), PTTL -1 each.
    expect(stats.length).toBeGreaterThanOrEqual(KEYS);
    expect(stats.filter(([, ttl]) => ttl === -1).map(([name]) => name)).toEqual([]);
  });
});
