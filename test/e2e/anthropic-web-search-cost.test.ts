/**
 * What a native Anthropic answer that ran web searches costs a gateway key. The Anthropic SDK calls
 * /v1/messages through the gateway's native path to a mock Anthropic upstream; the key's spend must
 * be what Anthropic bills. Before its fix the searches cost nothing (tokens only: $0.0045 where
 * Anthropic bills $0.0345). Now `usage.server_tool_use.web_search_requests` is carried into the
 * usage (plugins/anthropic/protocol/mapping.ts) and billed at the price's `webSearchPer1k`
 * (plugins/cost/cost.ts), whole answers and streams alike.
 */
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { auth, cost, usageLogger } from '../../index.js';
import { anthropicMessage, sseEvent } from '../support/anthropic-wire.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { keySpend } from '../support/key-spend.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

const ADMIN = 'web-search-cost-admin-key-0123456789';

let upstream: MockUpstream;
let gw: RunningGateway;

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({
    providers: { claude: { type: 'anthropic', apiKey: 'sk-ant-upstream', baseURL: upstream.baseURL, listModels: false } },
    plugins: [auth({ adminKey: ADMIN }), cost(), usageLogger()],
  });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});
beforeEach(() => upstream.reset());
const { createKey, spentUsd } = keySpend(() => gw.url, ADMIN);

describe('server tool use is billed', () => {
  // https://platform.claude.com/docs/en/agents-and-tools/tool-use/web-search-tool: "Web search is
  // available on the Claude API for $10 per 1,000 searches, plus standard token costs for
  // search-generated content." The usage object reports them: usage.server_tool_use.web_search_requests.
  it('charges a key for the web searches Anthropic reports in usage.server_tool_use', async () => {
    const key = await createKey();
    const message = anthropicMessage([{ text: 'It is sunny in Paris.' }], { model: 'claude-sonnet-4-5', usage: { input_tokens: 1_000, output_tokens: 100 } });
    (message.usage as Record<string, unknown>).server_tool_use = { web_search_requests: 3 };
    upstream.enqueue({ body: message });
    const client = new Anthropic({ baseURL: gw.url, apiKey: key.secret, maxRetries: 0 });
    const answer = await client.messages.create({
      model: 'claude/claude-sonnet-4-5',
      max_tokens: 500,
      tools: [{ type: 'web_search_20250305', name: 'web_search', max_uses: 5 }],
      messages: [{ role: 'user', content: 'Weather in Paris?' }],
    });
    expect(answer.usage.server_tool_use?.web_search_requests).toBe(3);
    // Tokens: 1 000 × $3 + 100 × $15 per million = $0.0045; searches: 3 × $0.01 = $0.03.
    await expect.poll(() => spentUsd(key.id), { timeout: 3000 }).toBeCloseTo(0.0345, 6);
  });

  it('charges a key for the web searches of a streamed answer (message_delta usage)', async () => {
    const key = await createKey();
    const start = anthropicMessage([], { model: 'claude-sonnet-4-5', usage: { input_tokens: 1_000, output_tokens: 1 } });
    upstream.enqueue({
      stream: {
        chunks: [
          sseEvent({ type: 'message_start', message: { ...start, stop_reason: null } }),
          sseEvent({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
          sseEvent({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Sunny.' } }),
          sseEvent({ type: 'content_block_stop', index: 0 }),
          sseEvent({ type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { input_tokens: 1_000, output_tokens: 100, server_tool_use: { web_search_requests: 2 } } }),
          sseEvent({ type: 'message_stop' }),
        ],
        done: false,
      },
    });
    const client = new Anthropic({ baseURL: gw.url, apiKey: key.secret, maxRetries: 0 });
    const final = await client.messages
      .stream({ model: 'claude/claude-sonnet-4-5', max_tokens: 500, tools: [{ type: 'web_search_20250305', name: 'web_search' }], messages: [{ role: 'user', content: 'Weather?' }] })
      .finalMessage();
    expect(final.usage.server_tool_use?.web_search_requests).toBe(2);
    // $0.0045 of tokens and 2 × $0.01 of searches.
    await expect.poll(() => spentUsd(key.id), { timeout: 3000 }).toBeCloseTo(0.0245, 6);
  });
});
