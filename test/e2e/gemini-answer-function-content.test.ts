/**
 * Gemini before 3, `response_format` beside tools: the answer goes as a function of its own
 * (plugins/gemini/answer-function.ts), and its arguments are the client's JSON content. Before its
 * fix (found by a review of the change), two calls of that function gave two JSON values run
 * together, and text the model wrote before calling it came in front of the JSON, whole or
 * streamed: a client parsing the structured output (the Agents SDK's `outputType`) got no JSON.
 * Now the content is the first answer alone; a stream holds a candidate's text until it knows
 * whether the answer comes. The official `openai` client, real sockets, the mock Gemini.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { geminiResponse, mockGeminiProvider, startMockGemini, type MockGemini } from '../support/mock-gemini.js';

let gemini: MockGemini;
let gw: RunningGateway;
let openai: OpenAI;
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

const request = {
  model: 'gem/gemini-2.5-flash',
  messages: [{ role: 'user' as const, content: 'weather?' }],
  tools: [{ type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }],
  response_format: { type: 'json_schema' as const, json_schema: { name: 'a', schema: { type: 'object', properties: { answer: { type: 'string' } } } } },
};

it('an answer given in two calls of the answer function is still one JSON value', async () => {
  gemini.enqueue({ body: geminiResponse([{ functionCall: { name: 'json_response', args: { answer: 'sunny' } } }, { functionCall: { name: 'json_response', args: { answer: 'sunny' } } }], { finishReason: 'STOP' }) });
  const completion = await openai.chat.completions.create(request);
  expect(() => JSON.parse(completion.choices[0]!.message.content!)).not.toThrow();
});

it('text the model wrote before calling the answer function does not break the JSON answer (stream)', async () => {
  gemini.enqueue({ streamEvents: [geminiResponse([{ text: 'Here is the answer. ' }]), geminiResponse([{ functionCall: { name: 'json_response', args: { answer: 'sunny' } } }], { finishReason: 'STOP' })] });
  const stream = await openai.chat.completions.create({ ...request, stream: true });
  let content = '';
  for await (const chunk of stream) content += chunk.choices[0]?.delta.content ?? '';
  expect(() => JSON.parse(content)).not.toThrow();
});
