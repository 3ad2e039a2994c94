/**
 * A streamed answer translated into Anthropic's events drops `redacted_thinking` blocks.
 *
 * Before its fix, what the user saw: an answer whose content is `[thinking, redacted_thinking, tool_use]` (Claude
 * with extended thinking; Anthropic documents that thinking "may be redacted" and returned as a
 * `redacted_thinking` block with encrypted `data`) reaches a `client.messages.create()` caller whole,
 * but a `client.messages.stream()` caller served by translation (here: the same answer as a cache hit;
 * also any OpenAI-format host whose chunks carry `thinking_blocks`) gets `finalMessage().content`
 * `[thinking, tool_use]`: the redacted block is gone. Anthropic's docs (extended thinking, "Preserving
 * thinking blocks" / "Thinking redaction") require the client to send the thinking blocks of the last
 * assistant turn back unmodified when it answers tool calls; the agent's next turn then goes up
 * without it.
 *
 * Root cause: AnthropicEventWriter.write (plugins/anthropic/protocol/from-openai-response.ts) reads
 * `delta.thinking_blocks` only for a `thinking` block's signature; a `redacted_thinking` entry is
 * skipped, where toAnthropicMessage (the JSON path) copies every block.
 *
 * Right behaviour: the stream's final message equals the JSON answer; a redacted block is its own
 * content block (`content_block_start` with `{type: 'redacted_thinking', data}`, then
 * `content_block_stop`), as Anthropic streams it (the SDK's MessageStream accumulates it as given).
 */
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cache } from '../../index.js';
import { anthropicMessage } from '../support/anthropic-wire.js';
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

describe('a redacted_thinking block in a translated stream', () => {
  it('is in the final message of messages.stream(), as in the JSON answer', async () => {
    const content = [
      { type: 'thinking', thinking: 'The user wants the weather.', signature: 'sig-1' },
      { type: 'redacted_thinking', data: 'EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpPkNRj2YfWXGmKDxH4mPnZ5sQ7vB5URj' },
      { type: 'tool_use', id: 'toolu_01', name: 'get_weather', input: { city: 'Paris' } },
    ];
    upstream.enqueue({ body: { ...anthropicMessage([]), content, stop_reason: 'tool_use' } });
    const params = {
      model: 'claude/claude-test',
      max_tokens: 2000,
      thinking: { type: 'enabled' as const, budget_tokens: 1024 },
      tools: [{ name: 'get_weather', input_schema: { type: 'object' as const, properties: { city: { type: 'string' } } } }],
      messages: [{ role: 'user' as const, content: 'Weather in Paris?' }],
    };
    const whole = await client.messages.create(params);
    expect(whole.content).toEqual(content);

    const stream = client.messages.stream(params);
    const blocks: string[] = [];
    stream.on('contentBlock', (block) => blocks.push(block.type));
    const final = await stream.finalMessage();
    expect((await stream.withResponse()).response.headers.get('x-gateway-cache')).toBe('hit');
    // Before a fix: ['thinking', 'tool_use'].
    expect(blocks).toEqual(['thinking', 'redacted_thinking', 'tool_use']);
    expect(final.content).toEqual(content);
    expect(final.stop_reason).toBe('tool_use');
  });
});
