/**
 * A thinking model on OpenRouter answers a tool call with `reasoning` (text) and `reasoning_details`
 * (an array of `reasoning.text` / `reasoning.encrypted` / `reasoning.summary` entries, with the
 * provider's signature: Anthropic's thinking signature, Gemini's thought signature). OpenRouter
 * asks for that array back on the assistant turn of the next request of the tool loop
 * ("Preserving reasoning blocks", https://openrouter.ai/docs/use-cases/reasoning-tokens#preserving-reasoning-blocks;
 * array shape: https://openrouter.ai/docs/guides/best-practices/reasoning-tokens#reasoning_details-array-structure).
 * Without it Gemini (3) models behind OpenRouter refuse the next step with a 400: "Function call
 * is missing a thought_signature in functionCall parts" (microsoft/vscode-copilot-chat#2649,
 * RooCodeInc/Roo-Code#9506, both fixed by sending reasoning_details back).
 *
 * Before its fix the gateway kept only the text: `reasoning_details` reached neither the Anthropic
 * client's blocks nor the Responses reasoning item, so the next request of the loop carried
 * `reasoning_content` and no `reasoning_details`. Now the entries ride in the gateway's own carrier
 * (an empty thinking block's signature for Anthropic clients, plugins/anthropic/protocol/
 * carried-call-data.ts; the reasoning item's `encrypted_content` for Responses clients, keyed by
 * the turn's call ids, plugins/responses/protocol/reasoning.ts) and come back on the assistant turn.
 * (Whether OpenRouter also reads plain `reasoning`/`reasoning_content` text on input is not checked here.)
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { chunk, completion, mockProvider, startMockUpstream, type MockUpstream, type Scenario } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let gw: RunningGateway;
beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({ providers: { openrouter: mockProvider(upstream) } });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});
beforeEach(() => upstream.reset());

const THOUGHT = 'I should check the weather.';
const DETAILS = [
  { type: 'reasoning.text', text: THOUGHT, format: 'google-gemini-v1', index: 0 },
  { type: 'reasoning.encrypted', data: 'CiQBVKhc7-thought-signature', id: 'call_1', format: 'google-gemini-v1', index: 1 },
];
const call = { id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } };

function reasoningThenCall(stream: boolean): Scenario {
  if (stream) {
    return {
      stream: {
        chunks: [
          chunk({ role: 'assistant', content: null, reasoning: THOUGHT, reasoning_details: [DETAILS[0]] }),
          chunk({ reasoning: null, reasoning_details: [DETAILS[1]], tool_calls: [{ index: 0, ...call }] }),
          chunk({}, 'tool_calls'),
        ],
      },
    };
  }
  const body = completion({ content: null, toolCalls: [call], finishReason: 'tool_calls' }) as { choices: Array<{ message: Record<string, unknown> }> };
  body.choices[0]!.message.reasoning = THOUGHT;
  body.choices[0]!.message.reasoning_details = DETAILS;
  return { body };
}

/** The assistant turn of the loop's second upstream request. */
function secondAssistantTurn(): Record<string, unknown> | undefined {
  const second = upstream.requests.filter((r) => r.path === '/v1/chat/completions')[1]?.body as { messages?: Array<Record<string, unknown>> } | undefined;
  return second?.messages?.find((m) => m.role === 'assistant');
}

const anthropicTools = [{ name: 'weather', description: 'The weather in a city', input_schema: { type: 'object' as const, properties: { city: { type: 'string' } } } }];
const responsesTools = [{ type: 'function' as const, name: 'weather', description: 'The weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: false }];

describe('OpenRouter reasoning_details given back on the next step of a tool loop', () => {
  it.each([false, true])('Anthropic client (stream %s): the assistant turn sent up carries reasoning_details', async (stream) => {
    upstream.enqueue(reasoningThenCall(stream));
    const client = new Anthropic({ baseURL: gw.url, apiKey: 'k', maxRetries: 0 });
    const request = { model: 'openrouter/google/gemini-3-pro-preview', max_tokens: 1000, tools: anthropicTools, messages: [{ role: 'user' as const, content: 'weather in Paris?' }] };
    const first = stream ? await client.messages.stream(request).finalMessage() : await client.messages.create(request);
    // The thinking, the call, and the gateway's carrier of the signed entries (an empty thinking block).
    expect(first.content.filter((b) => b.type === 'tool_use')).toHaveLength(1);
    expect(first.content.filter((b): b is Anthropic.ThinkingBlock => b.type === 'thinking').map((b) => b.thinking).join('')).toBe(THOUGHT);
    await client.messages.create({
      ...request,
      messages: [...request.messages, { role: 'assistant', content: first.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_1', content: 'sunny' }] }],
    });
    expect(secondAssistantTurn()?.tool_calls).toBeDefined();
    expect(secondAssistantTurn()?.reasoning_details).toEqual(DETAILS);
  });

  it.each([false, true])('Responses client, store: false + include encrypted_content (stream %s): the assistant turn sent up carries reasoning_details', async (stream) => {
    upstream.enqueue(reasoningThenCall(stream));
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'k', maxRetries: 0 });
    const base = { model: 'openrouter/google/gemini-3-pro-preview', tools: responsesTools, store: false, include: ['reasoning.encrypted_content' as const] };
    const first = stream ? await client.responses.stream({ ...base, input: 'weather in Paris?' }).finalResponse() : await client.responses.create({ ...base, input: 'weather in Paris?' });
    // The reasoning, the call, and (streamed) the gateway's item after the calls that carries what they need back.
    expect(first.output.filter((item) => item.type === 'function_call')).toHaveLength(1);
    expect(first.output[0]?.type).toBe('reasoning');
    const replay = first.output.map((item) => {
      const { parsed_arguments: _, ...rest } = item as unknown as Record<string, unknown>;
      return rest;
    }) as unknown as OpenAI.Responses.ResponseInputItem[];
    await client.responses.create({ ...base, input: [{ role: 'user', content: 'weather in Paris?' }, ...replay, { type: 'function_call_output', call_id: 'call_1', output: 'sunny' }] });
    expect(secondAssistantTurn()?.tool_calls).toBeDefined();
    expect(secondAssistantTurn()?.reasoning_details).toEqual(DETAILS);
  });

  it('Responses client, store: true with previous_response_id: the assistant turn sent up carries reasoning_details', async () => {
    upstream.enqueue(reasoningThenCall(false));
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'k', maxRetries: 0 });
    const base = { model: 'openrouter/google/gemini-3-pro-preview', tools: responsesTools };
    const first = await client.responses.create({ ...base, store: true, input: 'weather in Paris?' });
    await client.responses.create({ ...base, previous_response_id: first.id, input: [{ type: 'function_call_output', call_id: 'call_1', output: 'sunny' }] });
    expect(secondAssistantTurn()?.tool_calls).toBeDefined();
    expect(secondAssistantTurn()?.reasoning_details).toEqual(DETAILS);
  });
});
