/**
 * OpenRouter streams `reasoning_details` in pieces: each delta holds a piece of an entry, under the
 * entry's `index`, with its text cut anywhere and the signature in a later piece (for Claude, the
 * last one). The whole answer holds each entry once, text and signature together, and the next
 * turn of a tool loop must give it back so ("Preserving reasoning blocks",
 * https://openrouter.ai/docs/use-cases/reasoning-tokens#preserving-reasoning-blocks; clients that
 * keep them accumulate the pieces by index: RooCodeInc/Roo-Code#9506).
 *
 * Before its fix the gateway gave the pieces back one by one (three entries here, the last a
 * signature over no text) on the Anthropic and Responses front-ends' streams, and the cache turned
 * a streamed answer into a JSON hit with the pieces as entries. Now each is merged by index
 * (`StreamedReasoningDetails`, llm-gateway/plugin).
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cache } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { chunk, mockProvider, startMockUpstream, type MockUpstream, type Scenario } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let gw: RunningGateway;
beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({ providers: { openrouter: mockProvider(upstream) }, plugins: [cache()] });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});
beforeEach(() => upstream.reset());

const FORMAT = 'anthropic-claude-v1';
/** The one entry the pieces below make. */
const WHOLE = [{ type: 'reasoning.text', text: 'I should check the weather.', format: FORMAT, index: 0, signature: 'EqQBCkYIBxgCKkC-signature' }];
const call = { id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } };

function piecesThenCall(): Scenario {
  return {
    stream: {
      chunks: [
        chunk({ role: 'assistant', content: '', reasoning: 'I should ', reasoning_details: [{ type: 'reasoning.text', text: 'I should ', format: FORMAT, index: 0 }] }),
        chunk({ reasoning: 'check the weather.', reasoning_details: [{ type: 'reasoning.text', text: 'check the weather.', format: FORMAT, index: 0 }] }),
        chunk({ reasoning: null, reasoning_details: [{ type: 'reasoning.text', signature: 'EqQBCkYIBxgCKkC-signature', format: FORMAT, index: 0 }] }),
        chunk({ tool_calls: [{ index: 0, ...call }] }),
        chunk({}, 'tool_calls'),
      ],
    },
  };
}

function secondAssistantTurn(): Record<string, unknown> | undefined {
  const second = upstream.requests.filter((r) => r.path === '/v1/chat/completions')[1]?.body as { messages?: Array<Record<string, unknown>> } | undefined;
  return second?.messages?.find((m) => m.role === 'assistant');
}

const anthropicTools = [{ name: 'weather', description: 'The weather in a city', input_schema: { type: 'object' as const, properties: { city: { type: 'string' } } } }];
const responsesTools = [{ type: 'function' as const, name: 'weather', description: 'The weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } } }, strict: false }];

describe('reasoning_details streamed in pieces go back whole', () => {
  it('Anthropic client, streamed: the next turn carries one entry with its text and signature', async () => {
    upstream.enqueue(piecesThenCall());
    const client = new Anthropic({ baseURL: gw.url, apiKey: 'k', maxRetries: 0 });
    const request = { model: 'openrouter/anthropic/claude-sonnet-4.5', max_tokens: 1000, tools: anthropicTools, messages: [{ role: 'user' as const, content: 'weather in Paris?' }] };
    const first = await client.messages.stream(request).finalMessage();
    expect(first.content.filter((b) => b.type === 'tool_use')).toHaveLength(1);
    await client.messages.create({
      ...request,
      messages: [...request.messages, { role: 'assistant', content: first.content }, { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_1', content: 'sunny' }] }],
    });
    expect(secondAssistantTurn()?.reasoning_details).toEqual(WHOLE);
  });

  it('Responses client, streamed with encrypted_content: the next turn carries one entry with its text and signature', async () => {
    upstream.enqueue(piecesThenCall());
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'k', maxRetries: 0 });
    const base = { model: 'openrouter/anthropic/claude-sonnet-4.5', tools: responsesTools, store: false, include: ['reasoning.encrypted_content' as const] };
    const first = await client.responses.stream({ ...base, input: 'weather in Paris?' }).finalResponse();
    const replay = first.output.map((item) => {
      const { parsed_arguments: _, ...rest } = item as unknown as Record<string, unknown>;
      return rest;
    }) as unknown as OpenAI.Responses.ResponseInputItem[];
    await client.responses.create({ ...base, input: [{ role: 'user', content: 'weather in Paris?' }, ...replay, { type: 'function_call_output', call_id: 'call_1', output: 'sunny' }] });
    expect(secondAssistantTurn()?.reasoning_details).toEqual(WHOLE);
  });

  it('the cache: a streamed answer replayed as JSON holds each entry once, as the host answers JSON', async () => {
    upstream.enqueue(piecesThenCall());
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'k', maxRetries: 0 });
    const request = { model: 'openrouter/anthropic/claude-sonnet-4.5', messages: [{ role: 'user' as const, content: 'cache me: weather in Paris?' }] };
    const miss = await client.chat.completions.create({ ...request, stream: true });
    for await (const _ of miss);
    const { data, response } = await client.chat.completions.create(request).withResponse();
    expect(response.headers.get('x-gateway-cache')).toBe('hit');
    expect((data.choices[0]!.message as unknown as Record<string, unknown>).reasoning_details).toEqual(WHOLE);
    // The pieces the host sent are its own: the stream the client got had them as they came.
    expect(upstream.requests.filter((r) => r.path === '/v1/chat/completions')).toHaveLength(1);
  });
});
