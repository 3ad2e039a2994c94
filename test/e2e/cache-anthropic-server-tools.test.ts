/**
 * The cache and a native Anthropic answer that used a server tool (web search): its
 * `server_tool_use` and `web_search_tool_result` blocks and the citations on its text are
 * Anthropic's alone, and the chat view the cache keeps has no words for them. Before its fix a hit
 * gave an Anthropic client one text block, without the search or the citations. Now such an answer
 * is marked `native_content_lost` (plugins/anthropic/protocol/to-openai-response.ts), whole or
 * streamed, and the cache does not keep it (plugins/cache/entry.ts `storable`).
 */
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cache } from '../../index.js';
import { AnthropicStreamTranslator } from '../../plugins/anthropic/protocol/to-openai-response.js';
import { assemble, storable } from '../../plugins/cache/entry.js';
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

/** A web search answer as https://platform.claude.com/docs/en/agents-and-tools/tool-use/web-search-tool shows it. */
const searched = {
  id: 'msg_01search',
  type: 'message',
  role: 'assistant',
  model: 'claude-sonnet-4-5',
  content: [
    { type: 'text', text: "I'll search for the weather." },
    { type: 'server_tool_use', id: 'srvtoolu_01', name: 'web_search', input: { query: 'weather Paris today' } },
    {
      type: 'web_search_tool_result',
      tool_use_id: 'srvtoolu_01',
      content: [{ type: 'web_search_result', url: 'https://meteo.example/paris', title: 'Paris weather', encrypted_content: 'EqgfCioIARgBIiQ3', page_age: 'today' }],
    },
    {
      type: 'text',
      text: 'It is sunny in Paris.',
      citations: [{ type: 'web_search_result_location', url: 'https://meteo.example/paris', title: 'Paris weather', encrypted_index: 'Eo8BCioIAhgB', cited_text: 'Sunny, 21°C' }],
    },
  ],
  stop_reason: 'end_turn',
  stop_sequence: null,
  usage: { input_tokens: 2_000, output_tokens: 60, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, server_tool_use: { web_search_requests: 1 } },
};

describe('a web search answer through the cache', () => {
  // https://platform.claude.com/docs/en/agents-and-tools/tool-use/web-search-tool: "Citations are
  // always enabled for web search" and, when displaying API outputs directly to end users,
  // "citations must be included to the original source". A hit must not hand a client the text
  // without the search and its citations (or the answer should not be kept).
  it('never gives a later client the answer without its server tool blocks and citations', async () => {
    upstream.enqueue({ body: searched });
    upstream.enqueue({ body: searched });
    const params = {
      model: 'claude/claude-sonnet-4-5',
      max_tokens: 1024,
      tools: [{ type: 'web_search_20250305' as const, name: 'web_search' as const, max_uses: 3 }],
      messages: [{ role: 'user' as const, content: 'What is the weather in Paris?' }],
    };
    const first = await client.messages.create(params);
    expect(first.content.map((block) => block.type)).toEqual(['text', 'server_tool_use', 'web_search_tool_result', 'text']);

    const { data: second, response } = await client.messages.create(params).withResponse();
    const hit = response.headers.get('x-gateway-cache');
    // Before a fix: a hit whose content is one text block, "I'll search for the weather.It is
    // sunny in Paris.", without the search result or the citations.
    expect({ hit, types: second.content.map((block) => block.type) }).toEqual({ hit, types: ['text', 'server_tool_use', 'web_search_tool_result', 'text'] });
    expect(second.content.at(-1)).toMatchObject({ type: 'text', citations: [{ type: 'web_search_result_location', url: 'https://meteo.example/paris' }] });
  });
});

describe('a streamed web search answer', () => {
  it('is marked as saying more than the chat view, so the cache does not keep it', () => {
    const translator = new AnthropicStreamTranslator('claude', undefined, false);
    const events = [
      { type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 10, output_tokens: 1 } } },
      { type: 'content_block_start', index: 0, content_block: { type: 'server_tool_use', id: 'srvtoolu_01', name: 'web_search', input: {} } },
      { type: 'content_block_stop', index: 0 },
      { type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } },
      { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: 'Sunny.' } },
      { type: 'content_block_stop', index: 1 },
      { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 5 } },
      { type: 'message_stop' },
    ];
    const chunks = events.flatMap((event) => translator.translate(event as never, JSON.stringify(event)));
    const completion = assemble(chunks);
    expect(completion.choices[0]).toMatchObject({ finish_reason: 'stop', native_content_lost: true });
    expect(storable(completion)).toBe(false);
  });

  it('a plain streamed answer stays storable', () => {
    const translator = new AnthropicStreamTranslator('claude', undefined, false);
    const events = [
      { type: 'message_start', message: { id: 'msg_2', type: 'message', role: 'assistant', model: 'claude-sonnet-4-5', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 10, output_tokens: 1 } } },
      { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
      { type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Sunny.' } },
      { type: 'content_block_stop', index: 0 },
      { type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 5 } },
      { type: 'message_stop' },
    ];
    const completion = assemble(events.flatMap((event) => translator.translate(event as never, JSON.stringify(event))));
    expect(storable(completion)).toBe(true);
  });
});
