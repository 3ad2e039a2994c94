/**
 * Virtual models added and removed live, on a shared (Redis) store: the routing plugin's
 * round-robin cursor of each (`cursor:<virtual model>`, plugins/routing/index.ts) must not stay in
 * the store for good once the model is gone.
 *
 * Before its fix (a review of state under live-config churn, the fifty-ninth session): the cursor
 * was a counter written without a TTL, one per virtual model that ever served a request, kept for
 * ever though nothing read it again. It now expires a day after its route's last request.
 */
import { randomUUID } from 'node:crypto';
import { createClient, type RedisClientType } from 'redis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { dashboard, routing } from '../../../index.js';
import { startGateway, type RunningGateway } from '../../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../../support/mock-upstream.js';
import { adminCalls } from '../../support/live-config.js';
import { ownRedisDatabase } from '../../support/redis-databases.js';

// Its own database: live changes on Redis are one record every gateway on that database follows.
const REDIS_URL = ownRedisDatabase(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', 'roundRobinCursorExpiry');
const ADMIN = 'admin-key-of-the-cursor-review-tests';
const headers = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };
const run = `rr-churn-${randomUUID().slice(0, 8)}`;
const CHURNS = 200;

let upstream: MockUpstream;
let gw: RunningGateway;
let redis: RedisClientType;

const admin = adminCalls(() => gw, ADMIN);

beforeAll(async () => {
  redis = (await createClient({ url: REDIS_URL }).connect()) as RedisClientType;
  await redis.flushDb();
  upstream = await startMockUpstream({ record: false });
  gw = await startGateway({
    store: REDIS_URL,
    server: { adminKey: ADMIN },
    providers: { base: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false } },
    plugins: [dashboard(), routing()],
  });
});

afterAll(async () => {
  await gw?.close();
  await upstream?.close();
  if (redis) {
    await redis.flushDb();
    await redis.quit();
  }
});

it('keeps no round-robin cursor, without expiry, for virtual models that were removed', async () => {
  for (let i = 0; i < CHURNS; i++) {
    const name = `${run}-${i}`;
    await admin('PUT', `/admin/config/models/${name}`, { targets: ['base/mock-small', 'base/mock-large'], strategy: 'round-robin' });
    const res = await fetch(`${gw.baseURL}/chat/completions`, { method: 'POST', headers, body: JSON.stringify({ model: name, messages: [{ role: 'user', content: 'hi' }] }) });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
    await admin('DELETE', `/admin/config/models/${name}`);
  }
  const forever: string[] = [];
  for await (const keys of redis.scanIterator({ MATCH: `*cursor:${run}*`, COUNT: 1000 })) {
    for (const key of [keys].flat()) if ((await redis.pTTL(key)) === -1) forever.push(key);
  }
  expect(forever.length, `cursor keys with no TTL, e.g. ${forever[0]}`).toBe(0);
});
