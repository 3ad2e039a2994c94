/**
 * Before its fix, Roo Code (and other clients written against LiteLLM, which reads an
 * OpenAI-format answer's prompt-cache counts from top-level `usage.cache_read_input_tokens` and
 * `usage.cache_creation_input_tokens`) pointed at the gateway's OpenAI-compatible endpoint with a
 * Claude model behind it saw no cache use at all: the gateway put Anthropic's counts only in
 * OpenAI's `usage.prompt_tokens_details` (`cached_tokens`, and its own `cache_write_tokens`), so
 * Roo's task header showed no cache reads or writes and its cost estimate priced every prompt token
 * at the full input price.
 *
 * Right behaviour: wherever the gateway writes an OpenAI-format usage from another format's counts
 * (an Anthropic or Gemini upstream, whole answers and the streamed usage chunk alike), the two
 * top-level fields repeat what `prompt_tokens_details` says: `cache_read_input_tokens` when it has
 * `cached_tokens`, `cache_creation_input_tokens` when it has `cache_write_tokens`. Nothing is
 * added where the upstream stated no cache counts, and an OpenAI-format upstream's answer is passed
 * on as it wrote it.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { anthropicMessage, anthropicStreamEvents } from '../support/anthropic-wire.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { geminiResponse, mockGeminiProvider, startMockGemini, type MockGemini } from '../support/mock-gemini.js';
import { completion, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let gemini: MockGemini;
let gw: RunningGateway;
let client: OpenAI;

beforeAll(async () => {
  upstream = await startMockUpstream();
  gemini = await startMockGemini();
  gw = await startGateway({
    providers: {
      claude: { type: 'anthropic', apiKey: 'sk-ant', baseURL: upstream.baseURL, listModels: false },
      oai: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false },
      gem: mockGeminiProvider(gemini),
    },
  });
  client = new OpenAI({ baseURL: gw.baseURL, apiKey: 'client-key', maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
  await gemini?.close();
});
beforeEach(() => {
  upstream.reset();
  gemini.reset();
});

/** What Roo Code reads (its OpenAI-compatible handler), beside OpenAI's own fields. */
type LiteLLMUsage = OpenAI.CompletionUsage & { cache_read_input_tokens?: number; cache_creation_input_tokens?: number };

const cachedUsage = { input_tokens: 10, output_tokens: 7, cache_read_input_tokens: 1_000, cache_creation_input_tokens: 3_000 };
const messages = [{ role: 'user' as const, content: 'the conversation so far' }];

async function streamedUsage(model: string): Promise<LiteLLMUsage | undefined> {
  const stream = await client.chat.completions.create({ model, messages, stream: true, stream_options: { include_usage: true } });
  let usage: LiteLLMUsage | undefined;
  for await (const chunk of stream) if (chunk.usage) usage = chunk.usage as LiteLLMUsage;
  return usage;
}

describe("an OpenAI-format answer's top-level cache counts (LiteLLM's convention)", () => {
  it('are on a whole answer translated from Anthropic', async () => {
    upstream.enqueue({ body: anthropicMessage([{ text: 'cached' }], { usage: cachedUsage }) });
    const answer = await client.chat.completions.create({ model: 'claude/claude-test', messages });
    const usage = answer.usage as LiteLLMUsage;
    expect(usage.prompt_tokens).toBe(4_010);
    expect(usage.prompt_tokens_details?.cached_tokens).toBe(1_000);
    expect(usage.cache_read_input_tokens).toBe(1_000);
    expect(usage.cache_creation_input_tokens).toBe(3_000);
  });

  it('are on the streamed usage chunk translated from Anthropic', async () => {
    upstream.enqueue({ stream: { chunks: anthropicStreamEvents([{ text: 'cached' }], { usage: cachedUsage }), done: false } });
    const usage = await streamedUsage('claude/claude-test');
    expect(usage?.prompt_tokens_details?.cached_tokens).toBe(1_000);
    expect(usage?.cache_read_input_tokens).toBe(1_000);
    expect(usage?.cache_creation_input_tokens).toBe(3_000);
  });

  it('say reads alone for Gemini, which reports no cache writes', async () => {
    gemini.enqueue({ body: geminiResponse([{ text: 'cached' }], { usage: { promptTokenCount: 1_000, cachedContentTokenCount: 800, candidatesTokenCount: 1, totalTokenCount: 1_001 } }) });
    const usage = (await client.chat.completions.create({ model: 'gem/gemini-mock-flash', messages })).usage as LiteLLMUsage;
    expect(usage.cache_read_input_tokens).toBe(800);
    expect(usage).not.toHaveProperty('cache_creation_input_tokens');
  });

  it('are not invented where the upstream stated no cache counts', async () => {
    upstream.enqueue({ body: anthropicMessage([{ text: 'plain' }], { usage: { input_tokens: 10, output_tokens: 7 } }) });
    const usage = (await client.chat.completions.create({ model: 'claude/claude-test', messages })).usage as LiteLLMUsage;
    expect(usage).not.toHaveProperty('cache_read_input_tokens');
    expect(usage).not.toHaveProperty('cache_creation_input_tokens');
  });

  it("leave an OpenAI-format upstream's usage as it wrote it", async () => {
    const written = { prompt_tokens: 1_200, completion_tokens: 2, total_tokens: 1_202, prompt_tokens_details: { cached_tokens: 1_024 } };
    upstream.enqueue({ body: completion({ content: 'hi', usage: written }) });
    const answer = await client.chat.completions.create({ model: 'oai/mock-small', messages });
    expect(answer.usage).toEqual(written);
  });
});
