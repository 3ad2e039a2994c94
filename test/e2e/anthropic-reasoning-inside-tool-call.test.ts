/**
 * A stream in which a reasoning delta arrives between two argument fragments of one tool call
 * (hosts number call fragments by `index`, and nothing in OpenAI's chunk format keeps other
 * deltas out between them). The Responses front-end takes this stream: one reasoning item more,
 * the call whole (plugins/responses/protocol/stream-writer.ts). The Anthropic front-end did not.
 *
 * Not seen from a named host here: the usual order is reasoning, then calls; interleaved thinking
 * (think, call, think, call) is handled correctly (checked). This is the narrower case of text
 * inside one call's arguments.
 *
 * Before its fix (plugins/anthropic/protocol/from-openai-response.ts) the reasoning closed the
 * open tool_use block, and the call's next fragment opened a second tool_use block with the same
 * id and an empty name: the Anthropic SDK's stream failed ("Unexpected non-whitespace character
 * after JSON"). Now reasoning that comes while a call's block is open waits, and follows the call
 * as a thinking block of its own.
 */
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { chunk, mockProvider, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let gw: RunningGateway;
beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({ providers: { host: mockProvider(upstream) } });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

describe('reasoning inside a tool call, Anthropic client, stream', () => {
  it('gives one tool_use block with the whole input', async () => {
    upstream.enqueue({
      stream: {
        chunks: [
          chunk({ role: 'assistant', content: null, reasoning: 'I should check ' }),
          chunk({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":' } }] }),
          chunk({ reasoning: 'the weather.' }),
          chunk({ tool_calls: [{ index: 0, function: { arguments: '"Paris"}' } }] }),
          chunk({}, 'tool_calls'),
        ],
      },
    });
    const client = new Anthropic({ baseURL: gw.url, apiKey: 'k', maxRetries: 0 });
    const message = await client.messages
      .stream({ model: 'host/some-thinker', max_tokens: 500, tools: [{ name: 'weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }], messages: [{ role: 'user', content: 'weather?' }] })
      .finalMessage();
    const uses = message.content.filter((block): block is Anthropic.ToolUseBlock => block.type === 'tool_use');
    expect(uses).toHaveLength(1);
    expect(uses[0]).toMatchObject({ id: 'call_1', name: 'weather', input: { city: 'Paris' } });
    // None of the reasoning is lost: what came inside the call follows it in a block of its own.
    const thinking = message.content.filter((block): block is Anthropic.ThinkingBlock => block.type === 'thinking').map((block) => block.thinking);
    expect(thinking).toEqual(['I should check ', 'the weather.']);
    expect(message.content.map((block) => block.type)).toEqual(['thinking', 'tool_use', 'thinking']);
  });
});
