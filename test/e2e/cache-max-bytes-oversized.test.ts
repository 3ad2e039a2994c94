/**
 * `maxBytes` caps the cache's stored bytes with the least recently used going first
 * (docs/cache.md); an answer larger than the whole cap is not kept, and evicts nothing. Before its
 * fix, such an answer emptied the cache of every other entry on its way in (the eviction made room
 * for it least recently used first) and was then dropped itself.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cache } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { completion, mockProvider, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let gw: RunningGateway;
let client: OpenAI;

beforeAll(async () => {
  upstream = await startMockUpstream();
  // Room for a few ordinary answers (about 500 bytes each as JSON).
  gw = await startGateway({ providers: { mock: mockProvider(upstream) }, plugins: [cache({ maxBytes: 4000 })] });
  client = new OpenAI({ baseURL: gw.baseURL, apiKey: 'client', maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});
beforeEach(() => upstream.reset());

async function ask(content: string): Promise<string | null> {
  const { response } = await client.chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content }] }).withResponse();
  return response.headers.get('x-gateway-cache');
}

describe('maxBytes', () => {
  it('does not evict every other entry for one answer larger than the whole cap', async () => {
    expect(await ask('first question')).toBe('miss');
    expect(await ask('second question')).toBe('miss');
    expect(await ask('first question')).toBe('hit');
    expect(await ask('second question')).toBe('hit');

    // One answer of ~10 kB, more than the 4000-byte cap on its own.
    upstream.enqueue({ body: completion({ content: 'x'.repeat(10_000) }) });
    expect(await ask('write a long essay')).toBe('miss');
    await new Promise((resolve) => setTimeout(resolve, 100));

    // Both still kept: nothing was evicted for an answer that could never fit.
    expect(await ask('first question')).toBe('hit');
    expect(await ask('second question')).toBe('hit');
    expect(upstream.requests.filter((r) => r.method === 'POST')).toHaveLength(3);
  });
});
