/**
 * gateway:metrics with the real cache plugin (built on another branch): its outcome slot
 * (`gateway:cache:outcome`) becomes `llm_gateway_cache_requests_total`. Runs once
 * `plugins/cache/index.ts` exists; until then the metrics side is covered by the stand-in cache in
 * prometheus.test.ts, which sets the same slot.
 *
 * MERGE NOTE (for the lead): this assumes the cache plugin exports a factory named `cache` whose
 * defaults cache identical non-streamed chat requests in memory; adjust the two marked lines if not.
 */
import OpenAI from 'openai';
import { afterAll, describe, expect, it } from 'vitest';
import { metrics } from '../../../index.js';
import { startGateway, type RunningGateway } from '../../support/gateway.js';
import { mockProvider, startMockUpstream, type MockUpstream } from '../../support/mock-upstream.js';

const CACHE_MODULE = '../../../plugins/cache/index.js';
const cacheModule = (await import(/* @vite-ignore */ CACHE_MODULE).catch(() => undefined)) as { cache?: (options?: object) => unknown } | undefined;
const cacheFactory = cacheModule?.cache; // MERGE: the cache plugin's factory

describe.runIf(cacheFactory)('gateway:metrics with the cache plugin', () => {
  let upstream: MockUpstream;
  let gw: RunningGateway;
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
  });

  it('counts a miss, then a hit', async () => {
    upstream = await startMockUpstream();
    gw = await startGateway({ providers: { mock: mockProvider(upstream) }, plugins: [cacheFactory!() as never, metrics()] }); // MERGE: its options
    const client = new OpenAI({ baseURL: gw.baseURL, apiKey: 'unused', maxRetries: 0 });
    const ask = () => client.chat.completions.create({ model: 'mock/mock-small', temperature: 0, messages: [{ role: 'user', content: 'cache me' }] });
    await ask();
    await ask();
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    expect(text).toMatch(/^llm_gateway_cache_requests_total\{front_end="chat.completions",outcome="miss"\} 1$/m);
    expect(text).toMatch(/^llm_gateway_cache_requests_total\{front_end="chat.completions",outcome="hit"\} 1$/m);
    expect(upstream.requests.filter((r) => r.path === '/v1/chat/completions')).toHaveLength(1);
  });
});
