/**
 * `/v1/messages` translated from an OpenAI-format upstream whose parallel tool calls are streamed
 * interleaved: both calls opened (index 0, index 1), then their argument pieces alternating. OpenAI's
 * chat stream numbers each fragment by `tool_calls[].index` precisely so that a client assembles
 * calls by index, not by arrival (openai-node `ChatCompletionChunk.Choice.Delta.ToolCall.index`;
 * the same stream through the gateway's chat and Responses front-ends is assembled correctly).
 * Anthropic's stream cannot interleave: each content block is started, filled and stopped before
 * the next (https://docs.claude.com/en/docs/build-with-claude/streaming, "content_block_start,
 * one or more content_block_delta events, and a content_block_stop event" per block).
 *
 * Before its fix, what the user saw (the Vercel AI SDK, `@ai-sdk/anthropic` + `streamText` with two tools): the
 * gateway closes a call's block when a fragment of the other call arrives and opens a NEW
 * `tool_use` block (name "", a fresh index) for the next fragment, so the SDK receives six
 * tool calls: `weather({})`, `time({})` and four nameless calls whose inputs are JSON fragments.
 * It runs the tools with empty input ("time in undefined") and the step is garbage.
 * Right behaviour: exactly two tool_use blocks, `weather({city: "Paris"})` and `time({city: "Rome"})`,
 * e.g. by buffering the arguments of a call that is not the open block and emitting each call as
 * one complete block.
 */
import { createAnthropic } from '@ai-sdk/anthropic';
import { jsonSchema, stepCountIs, streamText, tool } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { chunk, mockProvider, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let gw: RunningGateway;
let anthropic: ReturnType<typeof createAnthropic>;

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({ providers: { mock: mockProvider(upstream) } });
  anthropic = createAnthropic({ baseURL: gw.baseURL, apiKey: 'client-key' });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

const cityTool = (name: string) =>
  tool({
    description: name,
    inputSchema: jsonSchema<{ city: string }>({ type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }),
    execute: async ({ city }) => `${name} in ${city}`,
  });

const opens = (index: number, id: string, name: string) => chunk({ tool_calls: [{ index, id, type: 'function', function: { name, arguments: '' } }] });
const piece = (index: number, args: string) => chunk({ tool_calls: [{ index, function: { arguments: args } }] });
const PARIS = '{"city": "Paris"}';
const ROME = '{"city": "Rome"}';

describe('/v1/messages from an OpenAI-format stream with interleaved parallel tool calls', () => {
  it('@ai-sdk/anthropic streamText gets the two calls, whole', async () => {
    upstream.enqueue({
      stream: {
        chunks: [
          chunk({ role: 'assistant', content: null }),
          opens(0, 'call_1', 'weather'),
          opens(1, 'call_2', 'time'),
          piece(0, PARIS.slice(0, 5)),
          piece(1, ROME.slice(0, 5)),
          piece(0, PARIS.slice(5)),
          piece(1, ROME.slice(5)),
          chunk({}, 'tool_calls'),
        ],
      },
    });
    const result = streamText({
      model: anthropic('mock/mock-small'),
      prompt: 'call both',
      tools: { weather: cityTool('weather'), time: cityTool('time') },
      stopWhen: stepCountIs(1),
      maxRetries: 0,
    });
    const calls: Array<{ id: string; name: string; input: unknown }> = [];
    for await (const part of result.fullStream) {
      if (part.type === 'tool-call') calls.push({ id: part.toolCallId, name: part.toolName, input: part.input });
    }
    expect(calls).toEqual([
      { id: 'call_1', name: 'weather', input: { city: 'Paris' } },
      { id: 'call_2', name: 'time', input: { city: 'Rome' } },
    ]);
  });
});
