/**
 * A stream that fails mid-way is recorded with "the tokens known so far". Anthropic states the
 * prompt's size in its first event (`message_start.message.usage.input_tokens`, with the cache
 * reads and writes), and Gemini in every event (`usageMetadata.promptTokenCount`): once the stream
 * fails after that, the usage log records the provider's own count of the prompt, on the native
 * `/v1/messages` path as on the translated `/v1/chat/completions` one (docs/keys-and-usage.md:
 * "When the provider reports usage, that is what is recorded"). The adapters say what they read
 * so far (`StreamResult.usageSoFar`), the provider call keeps it for the target that serves the
 * request (core/provider-call.ts `usageSoFar`), and plugins/token-counter/usage-of.ts `usageOf`
 * takes the prompt's counts from it beside the completion counted as it passed.
 * Before its fix, the adapters handed their counts on only with the stream's last event, so a
 * failure before it left `ctx.usage` unset and the record, cost and budgets held the gateway's
 * estimate of the prompt instead (`tokensEstimated: true`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usageLogger } from '../../index.js';
import { anthropicError, sseEvent } from '../support/anthropic-wire.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { mockGeminiProvider, startMockGemini, type MockGemini } from '../support/mock-gemini.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { usageRecordOf } from '../support/usage-records.js';

let upstream: MockUpstream;
let gemini: MockGemini;
let gw: RunningGateway;

beforeAll(async () => {
  [upstream, gemini] = await Promise.all([startMockUpstream(), startMockGemini()]);
  gw = await startGateway({
    providers: {
      claude: { type: 'anthropic', apiKey: 'sk-ant', baseURL: upstream.baseURL, listModels: false },
      gem: mockGeminiProvider(gemini),
    },
    plugins: [usageLogger({ url: 'sqlite::memory:' })],
  });
});
afterAll(async () => {
  await gw?.close();
  await Promise.all([upstream?.close(), gemini?.close()]);
});

const PROMPT_TOKENS = 1234;

const anthropicCutByOverload = () => [
  sseEvent({ type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-test', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: PROMPT_TOKENS, output_tokens: 1 } } }),
  sseEvent({ type: 'ping' }),
  sseEvent({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
  sseEvent({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'the beginning ' } }),
  sseEvent({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'of an answer ' } }),
  sseEvent(anthropicError('overloaded_error', 'Overloaded')),
];

const geminiEvent = (text: string, index: number) => ({
  candidates: [{ content: { role: 'model', parts: [{ text }] }, index: 0 }],
  usageMetadata: { promptTokenCount: PROMPT_TOKENS, candidatesTokenCount: index + 1, totalTokenCount: PROMPT_TOKENS + index + 1 },
});

async function streamed(path: string, body: Record<string, unknown>): Promise<{ text: string; id: string }> {
  const res = await fetch(`${gw.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...body, stream: true }) });
  expect(res.status).toBe(200);
  return { text: await res.text(), id: res.headers.get('x-request-id')! };
}

describe('a stream that fails after the provider stated the prompt size', () => {
  it('Anthropic upstream, /v1/messages (native): the record has message_start input_tokens', async () => {
    upstream.enqueue({ stream: { chunks: anthropicCutByOverload(), done: false } });
    const { text, id } = await streamed('/v1/messages', { model: 'claude/claude-test', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] });
    expect(text).toContain('event: error');
    const record = await usageRecordOf(gw, id);
    expect(record.outcome).toBe('error');
    expect(record.promptTokens).toBe(PROMPT_TOKENS);
  });

  it('Anthropic upstream, /v1/chat/completions (translated): the record has message_start input_tokens', async () => {
    upstream.enqueue({ stream: { chunks: anthropicCutByOverload(), done: false } });
    const { text, id } = await streamed('/v1/chat/completions', { model: 'claude/claude-test', messages: [{ role: 'user', content: 'hi' }] });
    expect(text).toContain('overloaded_error');
    const record = await usageRecordOf(gw, id);
    expect(record.promptTokens).toBe(PROMPT_TOKENS);
  });

  it('Gemini upstream, /v1/chat/completions: the record has usageMetadata.promptTokenCount', async () => {
    gemini.enqueue({ streamEvents: [geminiEvent('the beginning ', 0), geminiEvent('of an answer ', 1), { error: { code: 503, message: 'The model is overloaded.', status: 'UNAVAILABLE' } }] });
    const { text, id } = await streamed('/v1/chat/completions', { model: 'gem/gemini-x', messages: [{ role: 'user', content: 'hi' }] });
    expect(text).toContain('The model is overloaded.');
    const record = await usageRecordOf(gw, id);
    expect(record.promptTokens).toBe(PROMPT_TOKENS);
  });
});
