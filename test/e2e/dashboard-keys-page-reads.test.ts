/**
 * The dashboard's Keys page under key churn reads keys' usage a batch at a time (every key's: a
 * revoked key's spend this day and month still counts).
 *
 * Before its fix (a review of key and team churn, the fifty-ninth session): it read every key's
 * usage (4 counter reads each, revoked keys included) all at once: 1,200 reads at once for 300
 * revoked keys, on the connection requests' key lookups share.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, dashboard } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { mockProvider, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { createClient } from 'redis';
import { ownRedisDatabase } from '../support/redis-databases.js';

const REDIS_URL = process.env.REDIS_URL;
const ADMIN = 'review-churn-admin-key-0123456789';
const admin = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };
const KEYS = 300;

describe.skipIf(!REDIS_URL)("the dashboard's Keys page after many keys were created and revoked", () => {
  let upstream: MockUpstream;
  let gw: RunningGateway;
  let redis: ReturnType<typeof createClient>;

  beforeAll(async () => {
    const url = ownRedisDatabase(REDIS_URL!, 'dashboardKeysPageReads');
    redis = createClient({ url });
    await redis.connect();
    await redis.flushDb();
    upstream = await startMockUpstream();
    gw = await startGateway({ store: url, server: { adminKey: ADMIN }, providers: { mock: mockProvider(upstream) }, plugins: [auth(), dashboard()] });
    for (let i = 0; i < KEYS; i += 20) {
      await Promise.all(
        Array.from({ length: 20 }, async (_, j) => {
          const { id } = (await (await fetch(`${gw.url}/admin/keys`, { method: 'POST', headers: admin, body: JSON.stringify({ name: `session-${i + j}` }) })).json()) as { id: string };
          expect((await fetch(`${gw.url}/admin/keys/${id}`, { method: 'DELETE', headers: admin })).status).toBe(200);
        }),
      );
    }
  }, 120_000);
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
    await redis?.flushDb().catch(() => undefined);
    await redis?.quit().catch(() => undefined);
  });

  it('reads the usage of the keys it shows in bounded batches, as the key list does', async () => {
    const counters = gw.gateway.store.counters;
    const get = counters.get.bind(counters);
    let reading = 0;
    let most = 0;
    counters.get = async (key: string) => {
      most = Math.max(most, ++reading);
      try {
        return await get(key);
      } finally {
        reading--;
      }
    };
    try {
      const res = await fetch(`${gw.url}/dashboard/keys`, { headers: { authorization: `Bearer ${ADMIN}` } });
      expect(res.status).toBe(200);
      const html = await res.text();
      // The newest fifty keys are on the first page (the last batch made is session-280 to -299).
      expect(html).toContain('session-29');
    } finally {
      counters.get = get;
    }
    // Expected: about a hundred at once at most, as KeyStore.list; actual: 4 × 300 = 1,200 at once.
    expect(most).toBeLessThanOrEqual(110);
  });
});
