/**
 * The cache and an Anthropic client served natively by an Anthropic upstream: a streamed answer
 * with extended thinking replayed as JSON keeps each thinking block's text with its signature, and
 * a turn the provider only paused (`pause_turn`) is not kept.
 */
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cache } from '../../index.js';
import { anthropicMessage, anthropicStreamEvents } from '../support/anthropic-wire.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let gw: RunningGateway;
let client: Anthropic;

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({
    providers: { claude: { type: 'anthropic', apiKey: 'k', baseURL: upstream.baseURL, listModels: false } },
    plugins: [cache()],
  });
  client = new Anthropic({ baseURL: gw.url, apiKey: 'client', maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});
beforeEach(() => upstream.reset());

describe('thinking blocks through the cache', () => {
  // Promised (docs/cache.md): "A JSON client gets the assembled completion, with tool calls and
  // reasoning in it" and "Anthropic ... clients get the hit rendered in their own format. This
  // includes answers that first came natively from Anthropic". What happens: assemble()
  // (plugins/cache/entry.ts) keeps a stream's `signature_delta` as its own thinking block
  // `{ thinking: '', signature }` and the thinking text only in `reasoning_content`; the Anthropic
  // renderer prefers `thinking_blocks`, so the JSON hit carries a thinking block whose text is empty
  // next to the original signature. Besides losing the reasoning, a client that sends this block
  // back on its next turn (as it must with tool use) sends a signature that does not match its
  // text, which Anthropic refuses.
  it('gives a JSON client the thinking text and signature of the streamed answer it is served from', async () => {
    upstream.enqueue({
      stream: {
        chunks: anthropicStreamEvents([{ thinking: { text: 'Let me think about 2+2.', signature: 'sig-abc' } }, { text: 'Four.' }], { model: 'claude-test' }),
        done: false,
      },
    });
    const params = {
      model: 'claude/claude-test',
      max_tokens: 2000,
      thinking: { type: 'enabled' as const, budget_tokens: 1024 },
      messages: [{ role: 'user' as const, content: 'What is 2+2?' }],
    };
    const streamed = await client.messages.stream(params).finalMessage();
    expect(streamed.content[0]).toMatchObject({ type: 'thinking', thinking: 'Let me think about 2+2.', signature: 'sig-abc' });

    const { data, response } = await client.messages.create(params).withResponse();
    expect(response.headers.get('x-gateway-cache')).toBe('hit');
    const thinking = data.content.filter((block) => block.type === 'thinking');
    // Before its fix: [{ type: 'thinking', thinking: '', signature: 'sig-abc' }].
    expect(thinking).toEqual([{ type: 'thinking', thinking: 'Let me think about 2+2.', signature: 'sig-abc' }]);
    expect(data.content.find((block) => block.type === 'text')).toMatchObject({ text: 'Four.' });
  });

  // Promised (docs/cache.md): never kept are "answers without a finish reason"; a hit is the
  // answer the miss got, "rendered in their own format". Anthropic's `pause_turn` says a server
  // tool's turn was paused and the client must send the conversation back to let it continue.
  // What happens: finishReasonFromAnthropic maps pause_turn to 'stop', storable() keeps it, and a
  // hit is rendered from the OpenAI form as `end_turn`: the agent on a hit believes the turn is
  // over and never continues the paused search.
  it('does not turn a paused server-tool turn into a finished one on a hit', async () => {
    upstream.enqueue({ body: anthropicMessage([{ text: 'Searching the web for that...' }], { stopReason: 'pause_turn' }) });
    const params = {
      model: 'claude/claude-test',
      max_tokens: 500,
      tools: [{ type: 'web_search_20250305' as const, name: 'web_search' as const, max_uses: 5 }],
      messages: [{ role: 'user' as const, content: 'What happened in the news today?' }],
    };
    const miss = await client.messages.create(params).withResponse();
    expect(miss.response.headers.get('x-gateway-cache')).toBe('miss');
    expect(miss.data.stop_reason).toBe('pause_turn');
    const again = await client.messages.create(params).withResponse();
    // Before its fix: a 'hit' whose stop_reason is 'end_turn'. Either not kept, or kept as it was.
    if (again.response.headers.get('x-gateway-cache') === 'hit') expect(again.data.stop_reason).toBe('pause_turn');
    else expect(upstream.requests.filter((r) => r.path === '/v1/messages')).toHaveLength(2);
  });
});
