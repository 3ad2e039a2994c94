/**
 * Two replicas sharing the real Redis (REDIS_URL): an answer cached by one is an exact hit on the
 * other at once, and a semantic hit there within seconds (once it has read the other's log).
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cache, dashboard, type CacheStats } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { at, startMockEmbeddings, type MockEmbeddings } from '../support/mock-embeddings.js';
import { mockProvider, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { ownRedisDatabase } from '../support/redis-databases.js';

const REDIS_URL = process.env.REDIS_URL;
/** Clearing is an admin route; the dashboard checks the admin key on a gateway without auth(). */
const ADMIN_KEY = 'cache-replicas-admin-key-0123456789';
if (!REDIS_URL) console.warn('REDIS_URL is not set: the cache replica tests (two gateways on one Redis) are skipped; .ci/run sets it.');

describe.skipIf(!REDIS_URL)('two replicas on one Redis', () => {
  let upstream: MockUpstream;
  let embeddings: MockEmbeddings;
  let replicas: RunningGateway[];
  const run = Date.now().toString(36);

  beforeAll(async () => {
    // A Redis database of its own, emptied first: entries of an earlier run (whose mock vectors a
    // new mock process hands out again) must not answer this run's questions.
    const store = ownRedisDatabase(REDIS_URL!, 'cacheReplicas');
    upstream = await startMockUpstream();
    embeddings = await startMockEmbeddings();
    const start = () =>
      startGateway({
        store,
        providers: { mock: mockProvider(upstream), vec: { type: 'openai-compatible', baseURL: embeddings.baseURL, listModels: false } },
        // Bounds far above their defaults (500 and 250 ms): under the whole suite's load an embedding
        // or a Redis read slower than the default makes the cache step aside (a miss), which is
        // right in production and not what this test is about.
        plugins: [cache({ syncIntervalMs: 200, storeTimeoutMs: 2000, semantic: { model: 'vec/embed', timeoutMs: 5000 } }), dashboard({ adminKey: ADMIN_KEY })],
      });
    replicas = [await start(), await start()];
    const emptied = await fetch(`${replicas[0]!.baseURL}/cache`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    expect(emptied.status).toBe(200);
  });
  afterAll(async () => {
    await Promise.all((replicas ?? []).map((r) => r.close()));
    await upstream?.close();
    await embeddings?.close();
  });

  const ask = async (replica: number, content: string, model = 'mock/mock-small') => {
    const { response } = await new OpenAI({ baseURL: replicas[replica]!.baseURL, apiKey: 'open', maxRetries: 0 }).chat.completions
      .create({ model, messages: [{ role: 'user', content }] })
      .withResponse();
    return response.headers.get('x-gateway-cache');
  };
  const chatCalls = () => upstream.requests.filter((r) => r.path.endsWith('/chat/completions')).length;

  it('share exact hits at once', async () => {
    const before = chatCalls();
    expect(await ask(0, `shared ${run}`)).toBe('miss');
    expect(await ask(1, `shared ${run}`)).toBe('hit');
    expect(chatCalls() - before).toBe(1);
  });

  it('share semantic hits within seconds', async () => {
    embeddings.vectors.set(`Capital of Peru? ${run}`, at(1, 8, 3));
    embeddings.vectors.set(`Peru's capital? ${run}`, at(0.97, 8, 3));
    // A model no other test asks for: replica 1's count of its entries moves for this entry only,
    // not for another test's entry it learns of late (the whole count did, under load).
    const model = 'mock/mock-large';
    const known = async () => {
      const stats = (await (await fetch(`${replicas[1]!.baseURL}/cache/stats`)).json()) as CacheStats;
      return Object.entries(stats.models).reduce((sum, [name, { entries }]) => sum + (name.includes('mock-large') ? entries : 0), 0);
    };
    expect(await known()).toBe(0);
    expect(await ask(0, `Capital of Peru? ${run}`, model)).toBe('miss');
    // Replica 1 learns of the entry from the log (every 200 ms here), then finds it by meaning.
    await expect.poll(known, { timeout: 5000 }).toBe(1);
    expect(await ask(1, `Peru's capital? ${run}`, model)).toBe('semantic-hit');
  });

  it('clear on one replica clears the other', async () => {
    expect(await ask(0, `to clear ${run}`)).toBe('miss');
    expect(await ask(1, `to clear ${run}`)).toBe('hit');
    const cleared = await fetch(`${replicas[1]!.baseURL}/cache`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN_KEY}` } });
    expect(cleared.status).toBe(200);
    expect(await ask(0, `to clear ${run}`)).toBe('miss');
  });
});
