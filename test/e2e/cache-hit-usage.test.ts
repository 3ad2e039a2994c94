/**
 * The usage a cache hit carries and records when its entry came from a stream whose client did not
 * ask for usage, on a gateway configured as docs/cache.md shows it (no token counter): the cache
 * asks the upstream for it.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cache, cost, usageLogger } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { mockProvider, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { usageRecordOf } from '../support/usage-records.js';

let upstream: MockUpstream;
let gw: RunningGateway;
let client: OpenAI;

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({
    usageLog: 'sqlite::memory:',
    providers: { mock: mockProvider(upstream) },
    plugins: [cost({ prices: { 'mock/mock-small': { input: 1, output: 2 } } }), cache(), usageLogger()],
  });
  client = new OpenAI({ baseURL: gw.baseURL, apiKey: 'client', maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});
beforeEach(() => upstream.reset());

describe('a hit served from a stream that had no usage chunk', () => {
  // Promised (docs/cache.md, "Cost, budgets and the usage log"): a hit is recorded with "the token
  // counts ... of the cached answer" and what it "cost when it was made" in savedCostUsd; and "A
  // JSON client gets the assembled completion". What happens: the cache never asks a streaming
  // upstream for usage (only the token counter, budgets and tpm limits do), so a stream whose
  // client did not set stream_options.include_usage is stored without usage. Every later hit,
  // JSON ones included, then answers a chat completion with no `usage` at all (OpenAI always sends
  // it on a whole answer), and is logged with 0 tokens and savedCostUsd null, although the miss
  // itself was a priced, counted request.
  it('answers a JSON client with usage and logs the saved cost', async () => {
    const messages = [{ role: 'user' as const, content: 'stream me once' }];
    const stream = await client.chat.completions.create({ model: 'mock/mock-small', messages, stream: true });
    let text = '';
    for await (const c of stream) text += c.choices[0]?.delta?.content ?? '';
    expect(text).toBe('echo: stream me once');

    const { data, response } = await client.chat.completions.create({ model: 'mock/mock-small', messages }).withResponse();
    expect(response.headers.get('x-gateway-cache')).toBe('hit');
    expect(data.choices[0]?.message.content).toBe('echo: stream me once');
    // Before its fix: undefined.
    expect.soft(data.usage?.completion_tokens ?? 0).toBeGreaterThan(0);
    const record = await usageRecordOf(gw, response.headers.get('x-request-id')!);
    expect(record.cache).toBe('hit');
    // Before its fix: 0 tokens, and no saved cost at all.
    expect.soft(record.completionTokens).toBeGreaterThan(0);
    expect.soft(record.savedCostUsd ?? null).not.toBeNull();
  });
});
