/**
 * `parallel_tool_calls: false` to a Gemini model. Before its fix, every such request was refused
 * with a 400 (`unsupported_parameter`): Gemini has no switch for it. Roo Code 3.37–3.39 sends it on
 * every request, and an Anthropic client's `disable_parallel_tool_use` becomes it in translation
 * (the AI SDK's JSON tool through `@ai-sdk/anthropic` sends that), so those clients could not use a
 * Gemini model at all. Now the request goes without it, and the answer, whole or streamed, keeps
 * only its first function call: what the client asked for holds, and the model asks for the rest
 * in the turns after. The official `openai` and `@anthropic-ai/sdk` clients, real sockets, the
 * mock Gemini ("call both" makes it call two functions at once).
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { mockGeminiProvider, startMockGemini, type MockGemini } from '../support/mock-gemini.js';

let gemini: MockGemini;
let gw: RunningGateway;
let openai: OpenAI;

const tools = [
  { type: 'function' as const, function: { name: 'get_weather', description: 'Weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } },
  { type: 'function' as const, function: { name: 'get_time', description: 'Time', parameters: { type: 'object', properties: { city: { type: 'string' } } } } },
];
const callBoth = { model: 'gem/gemini-mock-flash', tools, messages: [{ role: 'user' as const, content: 'call both' }] };

beforeAll(async () => {
  gemini = await startMockGemini();
  gw = await startGateway({ providers: { gem: mockGeminiProvider(gemini) } });
  openai = new OpenAI({ baseURL: gw.baseURL, apiKey: 'client', maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await gemini?.close();
});
beforeEach(() => gemini.reset());

async function streamedCalls(stream: AsyncIterable<OpenAI.ChatCompletionChunk>) {
  const calls: Array<{ index: number; name?: string }> = [];
  let finish: string | null = null;
  for await (const chunk of stream) {
    for (const call of chunk.choices[0]?.delta.tool_calls ?? []) calls.push({ index: call.index, ...(call.function?.name ? { name: call.function.name } : {}) });
    finish = chunk.choices[0]?.finish_reason ?? finish;
  }
  return { calls, finish };
}

describe('parallel_tool_calls: false to Gemini', () => {
  it('is not sent, and a whole answer keeps its first call, signature and all', async () => {
    // Without the flag the model calls both: the answer below is cut, not a different answer.
    const both = await openai.chat.completions.create(callBoth);
    expect(both.choices[0]?.message.tool_calls?.map((call) => call.type === 'function' && call.function.name)).toEqual(['get_weather', 'get_time']);

    const one = await openai.chat.completions.create({ ...callBoth, parallel_tool_calls: false });
    expect(one.choices[0]?.finish_reason).toBe('tool_calls');
    expect(one.choices[0]?.message.tool_calls).toHaveLength(1);
    expect(one.choices[0]?.message.tool_calls?.[0]).toMatchObject({ function: { name: 'get_weather', arguments: '{"city":"Paris"}' }, extra_content: { google: { thought_signature: 'sig-get_weather' } } });
    expect(gemini.requests.at(-1)?.body).not.toHaveProperty('parallel_tool_calls');
    expect(JSON.stringify(gemini.requests.at(-1)?.body)).not.toContain('parallel');
  });

  it('keeps the first call of a stream, whether the calls come in one event or in several', async () => {
    const inOneEvent = await streamedCalls(await openai.chat.completions.create({ ...callBoth, parallel_tool_calls: false, stream: true }));
    expect(inOneEvent).toEqual({ calls: [{ index: 0, name: 'get_weather' }], finish: 'tool_calls' });

    const call = (name: string) => ({ candidates: [{ index: 0, content: { role: 'model', parts: [{ functionCall: { name, args: { city: 'Paris' } } }] } }] });
    gemini.enqueue({
      streamEvents: [
        call('get_weather'),
        call('get_time'),
        { candidates: [{ index: 0, content: { role: 'model', parts: [] }, finishReason: 'STOP' }], usageMetadata: { promptTokenCount: 5, candidatesTokenCount: 4, totalTokenCount: 9 } },
      ],
    });
    const inTwoEvents = await streamedCalls(await openai.chat.completions.create({ ...callBoth, parallel_tool_calls: false, stream: true }));
    expect(inTwoEvents).toEqual({ calls: [{ index: 0, name: 'get_weather' }], finish: 'tool_calls' });
  });

  it('serves an Anthropic client that disables parallel tool use: one tool_use block', async () => {
    const anthropic = new Anthropic({ baseURL: gw.url, apiKey: 'client', maxRetries: 0 });
    const message = await anthropic.messages.create({
      model: 'gem/gemini-mock-flash',
      max_tokens: 50,
      tools: tools.map((t) => ({ name: t.function.name, description: t.function.description, input_schema: t.function.parameters as Anthropic.Tool.InputSchema })),
      tool_choice: { type: 'auto', disable_parallel_tool_use: true },
      messages: [{ role: 'user', content: 'call both' }],
    });
    expect(message.stop_reason).toBe('tool_use');
    expect(message.content.filter((block) => block.type === 'tool_use').map((block) => block.type === 'tool_use' && block.name)).toEqual(['get_weather']);
  });
});
