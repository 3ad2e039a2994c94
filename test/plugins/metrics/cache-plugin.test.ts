/**
 * gateway:metrics with the real cache plugin: its outcome slot (`cacheOutcome`) becomes
 * `llm_gateway_cache_requests_total`.
 */
import OpenAI from 'openai';
import { afterAll, describe, expect, it } from 'vitest';
import { cache, metrics } from '../../../index.js';
import { startGateway, type RunningGateway } from '../../support/gateway.js';
import { mockProvider, startMockUpstream, type MockUpstream } from '../../support/mock-upstream.js';

describe('gateway:metrics with the cache plugin', () => {
  let upstream: MockUpstream;
  let gw: RunningGateway;
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
  });

  it('counts a miss, then a hit', async () => {
    upstream = await startMockUpstream();
    gw = await startGateway({ providers: { mock: mockProvider(upstream) }, plugins: [cache(), metrics()] });
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
