/**
 * DeepSeek's cache reads, which it reports in its own field (`prompt_cache_hit_tokens`, a part of
 * `prompt_tokens`: https://api-docs.deepseek.com/guides/kv_cache), read as OpenAI's `cached_tokens`
 * by everything that reads usage: cost, the usage log, and an Anthropic client's
 * `cache_read_input_tokens`. Before its fix only cost read the field: the usage log recorded no
 * cached tokens, and an Anthropic client was told none were read from the cache, its
 * `input_tokens` counting them as fresh.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cost, usageLogger } from '../../index.js';
import { providersFromEnv } from '../../plugins/presets.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { usageRecordOf } from '../support/usage-records.js';

const MODEL = 'deepseek/deepseek-v4-flash';
// As DeepSeek's chat completion reports it: 900 000 of the 1 000 000 prompt tokens hit its cache.
const USAGE = { prompt_tokens: 1_000_000, completion_tokens: 0, total_tokens: 1_000_000, prompt_cache_hit_tokens: 900_000, prompt_cache_miss_tokens: 100_000 };
const completion = { id: 'c1', object: 'chat.completion', created: 1, model: 'deepseek-v4-flash', choices: [{ index: 0, message: { role: 'assistant', content: 'hi there' }, finish_reason: 'stop' }], usage: USAGE };

let upstream: MockUpstream;
let gw: RunningGateway;

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({ usageLog: 'sqlite::memory:', providers: providersFromEnv({ DEEPSEEK_API_KEY: 'ds-key', DEEPSEEK_BASE_URL: upstream.baseURL }), plugins: [cost(), usageLogger()] });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

describe("DeepSeek's prompt_cache_hit_tokens", () => {
  it('are the cached tokens of a JSON answer in the usage log, billed at the cached rate', async () => {
    upstream.enqueue({ body: completion });
    const client = new OpenAI({ baseURL: gw.baseURL, apiKey: 'k', maxRetries: 0 });
    const { response } = await client.chat.completions.create({ model: MODEL, messages: [{ role: 'user', content: 'hi' }] }).withResponse();
    const record = await usageRecordOf(gw, response.headers.get('x-request-id')!);
    expect(record.cachedTokens).toBe(900_000);
    // deepseek-v4-flash ($0.14 input, $0.0028 cached a million): 100 000 × 0.14 + 900 000 × 0.0028.
    expect(record.costUsd).toBeCloseTo(0.01652, 9);
  });

  it("are the cached tokens of a stream's usage chunk in the usage log", async () => {
    upstream.enqueue({ stream: { chunks: [{ id: 'c2', object: 'chat.completion.chunk', created: 1, model: 'deepseek-v4-flash', choices: [{ index: 0, delta: { role: 'assistant', content: 'hi' }, finish_reason: 'stop' }] }, { id: 'c2', object: 'chat.completion.chunk', created: 1, model: 'deepseek-v4-flash', choices: [], usage: USAGE }] } });
    const res = await fetch(`${gw.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: MODEL, stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'hi' }] }) });
    const text = await res.text();
    // The client's own bytes are DeepSeek's, as they came.
    expect(text).toContain('"prompt_cache_hit_tokens":900000');
    const record = await usageRecordOf(gw, res.headers.get('x-request-id')!);
    expect(record.cachedTokens).toBe(900_000);
  });

  it("reach an Anthropic client as cache_read_input_tokens, apart from its input_tokens", async () => {
    upstream.enqueue({ body: completion });
    const client = new Anthropic({ baseURL: gw.url, apiKey: 'k', maxRetries: 0 });
    const message = await client.messages.create({ model: MODEL, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
    expect(message.usage.cache_read_input_tokens).toBe(900_000);
    expect(message.usage.input_tokens).toBe(100_000);
  });
});
