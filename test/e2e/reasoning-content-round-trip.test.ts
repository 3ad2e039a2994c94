/**
 * A reasoning model on an OpenAI-format upstream (DeepSeek's thinking mode, Qwen, Kimi...) answers
 * a tool call with `reasoning_content`. DeepSeek requires that reasoning back on the assistant turn
 * of every later request of the tool loop ("For turns that do perform tool calls, the
 * reasoning_content must be fully passed back to the API in all subsequent requests. If your code
 * does not correctly pass back reasoning_content, the API will return a 400 error":
 * https://api-docs.deepseek.com/guides/thinking_mode). The gateway can only send it back if the
 * client's SDK gives it back, and each SDK only gives back what it can replay:
 *
 * 1. `@ai-sdk/anthropic` with `streamText` (the usual way to run an agent): the gateway's streamed
 *    thinking block has no `signature_delta`, so the SDK stores the reasoning part without
 *    `providerMetadata.anthropic.signature`, and on the next step drops it ("unsupported reasoning
 *    metadata", @ai-sdk/anthropic dist `convertToAnthropicMessagesPrompt`, case "reasoning").
 *    The same answer unstreamed has `signature: ""` and round-trips: only streams lose it.
 *    Anthropic's streaming docs: a thinking block always ends with a `signature_delta`
 *    (https://docs.claude.com/en/docs/build-with-claude/extended-thinking#streaming-thinking).
 * 2. `@ai-sdk/openai` (Responses) with `store: false` (it then adds
 *    `include: ['reasoning.encrypted_content']` itself for reasoning models): the gateway's
 *    reasoning item has no `encrypted_content` when there is nothing signed to carry, and the SDK
 *    skips reasoning items without it when store is off ("Reasoning parts without encrypted content
 *    are not supported when store is false", @ai-sdk/openai dist, convertToOpenAIResponsesInput).
 *    The Responses API fills `encrypted_content` on a reasoning item whenever the request's
 *    `include` has `reasoning.encrypted_content` (ReasoningItem.encrypted_content in OpenAI's API
 *    reference; the SDK adds the include itself for reasoning models when `store: false`).
 *
 * Before its fix, what the user saw: the second request of the tool loop reaches DeepSeek without
 * `reasoning_content` on the assistant turn with the tool call, and DeepSeek answers 400
 * "The reasoning_content in the thinking mode must be passed back to the API".
 * Right behaviour: the assistant turn carries the reasoning it was given, as it does with
 * `store: true` and with the unstreamed Anthropic answer.
 */
import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, jsonSchema, stepCountIs, streamText, tool } from 'ai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { chunk, completion, mockProvider, startMockUpstream, type MockUpstream, type Scenario } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let gw: RunningGateway;
let openai: ReturnType<typeof createOpenAI>;
let anthropic: ReturnType<typeof createAnthropic>;

beforeAll(async () => {
  upstream = await startMockUpstream();
  // `o4-mini` so that @ai-sdk/openai treats it as a reasoning model (sends `reasoning`, adds the include).
  gw = await startGateway({ providers: { deepseek: mockProvider(upstream) }, models: { 'o4-mini': { targets: ['deepseek/deepseek-reasoner'] } } });
  openai = createOpenAI({ baseURL: gw.baseURL, apiKey: 'client-key' });
  anthropic = createAnthropic({ baseURL: gw.baseURL, apiKey: 'client-key' });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});
beforeEach(() => upstream.reset());

const REASONING = 'I should check the weather.';
const weather = tool({
  description: 'The weather in a city',
  inputSchema: jsonSchema<{ city: string }>({ type: 'object', properties: { city: { type: 'string' } }, required: ['city'] }),
  execute: async ({ city }) => `sunny in ${city}`,
});
const call = { id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } };

/** DeepSeek's first answer of the loop: reasoning, then a tool call. */
function reasoningThenCall(stream: boolean): Scenario {
  if (stream) {
    return {
      stream: {
        chunks: [
          chunk({ role: 'assistant', content: null, reasoning_content: 'I should check ' }),
          chunk({ reasoning_content: 'the weather.' }),
          chunk({ tool_calls: [{ index: 0, ...call, function: { name: 'weather', arguments: '' } }] }),
          chunk({ tool_calls: [{ index: 0, function: { arguments: call.function.arguments } }] }),
          chunk({}, 'tool_calls'),
        ],
      },
    };
  }
  const body = completion({ content: null, toolCalls: [call] }) as { choices: Array<{ message: Record<string, unknown> }> };
  body.choices[0]!.message.reasoning_content = REASONING;
  return { body };
}

/** The assistant turn with the tool call, in the loop's second upstream request. */
function secondRequestAssistantTurn(): Record<string, unknown> | undefined {
  const second = upstream.requests.filter((r) => r.path === '/v1/chat/completions')[1]?.body as { messages?: Array<Record<string, unknown>> } | undefined;
  return second?.messages?.find((m) => m.role === 'assistant');
}

describe('reasoning_content of a tool-calling turn, given back on the next step of an AI SDK tool loop', () => {
  it('@ai-sdk/anthropic, streamText: the streamed thinking block must end with a signature_delta so the SDK replays it', async () => {
    upstream.enqueue(reasoningThenCall(true));
    const result = streamText({
      model: anthropic('o4-mini'),
      prompt: 'call weather',
      tools: { weather },
      stopWhen: stepCountIs(3),
      maxRetries: 0,
      providerOptions: { anthropic: { thinking: { type: 'enabled', budgetTokens: 2000 } } },
    });
    await result.consumeStream();
    expect((await result.steps)[0]?.reasoningText).toBe(REASONING);
    expect(secondRequestAssistantTurn()?.tool_calls).toBeDefined();
    expect(secondRequestAssistantTurn()?.reasoning_content).toBe(REASONING);
  });

  it.each([false, true])('@ai-sdk/openai Responses, store: false (stream %s): the reasoning item must carry encrypted_content', async (stream) => {
    upstream.enqueue(reasoningThenCall(stream));
    const options = { model: openai('o4-mini'), prompt: 'call weather', tools: { weather }, stopWhen: stepCountIs(3), maxRetries: 0, providerOptions: { openai: { store: false } } };
    let firstReasoning: string | undefined;
    if (stream) {
      const result = streamText(options);
      await result.consumeStream();
      firstReasoning = (await result.steps)[0]?.reasoningText;
    } else {
      firstReasoning = (await generateText(options)).steps[0]?.reasoningText;
    }
    expect(firstReasoning).toBe(REASONING);
    expect(secondRequestAssistantTurn()?.tool_calls).toBeDefined();
    expect(secondRequestAssistantTurn()?.reasoning_content).toBe(REASONING);
  });
});
