/**
 * What a key pays for OpenAI answers, checked against OpenAI's billing: cached and reasoning tokens,
 * Responses usage details, embeddings, `n` answers reserved, streamed usage asked for by the gateway.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { auth, cost, usageLogger } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { keySpend } from '../support/key-spend.js';
import { completion, startMockUpstream, wordChunks, type MockUpstream } from '../support/mock-upstream.js';
import { responsesObject } from '../../sdk/testing/responses-wire.js';

const ADMIN = 'openai-cost-admin-key-0123456789';
let upstream: MockUpstream;
let gw: RunningGateway;

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({
    providers: { openai: { type: 'openai', apiKey: 'sk-upstream', baseURL: upstream.baseURL, listModels: false } },
    plugins: [auth({ adminKey: ADMIN }), cost(), usageLogger()],
  });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});
beforeEach(() => upstream.reset());
const { createKey, spentUsd } = keySpend(() => gw.url, ADMIN);

describe('OpenAI billing checks that hold', () => {
  it('chat: cached input and reasoning tokens (gpt-5.4)', async () => {
    const key = await createKey();
    upstream.enqueue({ body: completion({ model: 'gpt-5.4', usage: { prompt_tokens: 100_000, completion_tokens: 10_000, total_tokens: 110_000, prompt_tokens_details: { cached_tokens: 80_000 }, completion_tokens_details: { reasoning_tokens: 6_000 } } }) });
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key.secret, maxRetries: 0 });
    await client.chat.completions.create({ model: 'openai/gpt-5.4', max_completion_tokens: 20_000, messages: [{ role: 'user', content: 'hi' }] });
    await expect.poll(() => spentUsd(key.id), { timeout: 3000 }).toBeGreaterThan(0);
    // 20 000 × 2.5 + 80 000 × 0.25 + 10 000 × 15 per million = 0.05 + 0.02 + 0.15
    expect(await spentUsd(key.id)).toBeCloseTo(0.22, 6);
  });

  it('Responses (native): input_tokens_details.cached_tokens at the cached price', async () => {
    const key = await createKey();
    upstream.enqueue({ body: responsesObject([{ text: 'ok' }], { model: 'gpt-5.4', usage: { input_tokens: 100_000, output_tokens: 10_000, cached_tokens: 80_000, reasoning_tokens: 5_000 } }) });
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key.secret, maxRetries: 0 });
    await client.responses.create({ model: 'openai/gpt-5.4', max_output_tokens: 20_000, input: 'hi' });
    await expect.poll(() => spentUsd(key.id), { timeout: 3000 }).toBeGreaterThan(0);
    expect(await spentUsd(key.id)).toBeCloseTo(0.22, 6);
  });

  it('embeddings: prompt tokens at the embedding price', async () => {
    const key = await createKey();
    upstream.enqueue({ body: { object: 'list', model: 'text-embedding-3-small', data: [{ object: 'embedding', index: 0, embedding: [0.1, 0.2] }], usage: { prompt_tokens: 1_000_000, total_tokens: 1_000_000 } } });
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key.secret, maxRetries: 0 });
    await client.embeddings.create({ model: 'openai/text-embedding-3-small', input: 'hello', encoding_format: 'float' });
    await expect.poll(() => spentUsd(key.id), { timeout: 3000 }).toBeGreaterThan(0);
    expect(await spentUsd(key.id)).toBeCloseTo(0.02, 6);
  });

  it('n = 3: reserved three times max_completion_tokens (refused when that passes the budget)', async () => {
    const key = await createKey(0.05);
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key.secret, maxRetries: 0 });
    // 3 × 2 000 × $15/M = $0.09 > $0.05; one answer ($0.03) would fit.
    const status = await client.chat.completions
      .create({ model: 'openai/gpt-5.4', n: 3, max_completion_tokens: 2_000, messages: [{ role: 'user', content: 'hi' }] })
      .then(() => 200, (error: { status?: number }) => error.status);
    expect(status).toBe(402);
  });

  it('stream without include_usage from the client: the gateway asks for usage and bills it', async () => {
    const key = await createKey();
    upstream.enqueue({ stream: { chunks: wordChunks('hello there world', { usage: true }).map((c) => ({ ...c, model: 'gpt-5.4' })) } });
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key.secret, maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: 'openai/gpt-5.4', stream: true, max_completion_tokens: 100, messages: [{ role: 'user', content: 'hi' }] });
    let sawUsage = false;
    for await (const c of stream) if (c.usage) sawUsage = true;
    expect(sawUsage).toBe(false);
    expect((upstream.requests.at(-1)?.body as { stream_options?: { include_usage?: boolean } }).stream_options?.include_usage).toBe(true);
    await expect.poll(() => spentUsd(key.id), { timeout: 3000 }).toBeGreaterThan(0);
    // wordChunks' usage: 5 prompt, 3 completion tokens (counters keep whole micro-dollars).
    expect(await spentUsd(key.id)).toBeCloseTo((5 * 2.5 + 3 * 15) / 1e6, 6);
  });
});
