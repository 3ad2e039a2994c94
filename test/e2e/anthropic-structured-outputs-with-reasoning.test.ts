/**
 * The openai SDK's structured-output helpers with reasoning, to an `anthropic` upstream:
 * `chat.completions.parse({ reasoning_effort, response_format: zodResponseFormat(...) })` and
 * `responses.parse({ reasoning: { effort }, text: { format: zodTextFormat(...) } })`.
 *
 * Before its fix, what the user saw: on chat completions, a 400 "claude does not support 'reasoning_effort':
 * Anthropic cannot think while it must answer through a tool, as response_format asks" (or, under
 * `unsupportedParams: 'drop'`, an answer without the reasoning asked for); on the Responses API
 * (where `reasoning.effort` is advisory) the reasoning asked for is silently left out. The gateway expresses `response_format` as a
 * forced tool call (plugins/anthropic/protocol/from-openai-request.ts), which Anthropic refuses with
 * thinking. But Anthropic has structured outputs of its own for exactly this:
 * `output_config: { format: { type: 'json_schema', schema } }` (@anthropic-ai/sdk 1.12
 * `MessageCreateParams.output_config`, `OutputConfig.format`: "A schema to specify Claude's output
 * format in responses", https://platform.claude.com/docs/en/build-with-claude/structured-outputs),
 * which constrains the text answer itself and needs no tool choice, so thinking stays allowed
 * (the thinking/tool_choice limit only concerns `any`/`tool` choices,
 * https://platform.claude.com/docs/en/build-with-claude/extended-thinking).
 *
 * Right behaviour (at least where the forced tool cannot be used, i.e. with thinking): send the
 * schema as `output_config.format`, keep `thinking`, and hand back the text answer as the content,
 * so the helper's `parsed` / `output_parsed` is the object.
 */
import OpenAI from 'openai';
import { zodResponseFormat, zodTextFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { anthropicMessage } from '../support/anthropic-wire.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let gw: RunningGateway;
let openai: OpenAI;
const Person = z.object({ name: z.string(), age: z.number() });
const sent = () => upstream.requests.find((r) => r.path === '/v1/messages')?.body as Record<string, unknown>;
const answer = () => anthropicMessage([{ thinking: { text: 'Ann is 3.', signature: 'sig-1' } }, { text: '{"name":"Ann","age":3}' }]);

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({ providers: { claude: { type: 'anthropic', apiKey: 'sk-ant', baseURL: upstream.baseURL, listModels: false } } });
  openai = new OpenAI({ baseURL: gw.baseURL, apiKey: 'client', maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});
beforeEach(() => upstream.reset());

it('chat.completions.parse with reasoning_effort: Anthropic structured outputs, thinking kept', async () => {
  upstream.enqueue({ body: answer() });
  // Before the fix: 400 ... 'reasoning_effort': Anthropic cannot think while it must answer through a tool.
  const completion = await openai.chat.completions.parse({
    model: 'claude/claude-sonnet-4-5',
    reasoning_effort: 'low',
    messages: [{ role: 'user', content: 'Ann is three. Extract.' }],
    response_format: zodResponseFormat(Person, 'person'),
  });
  expect(completion.choices[0]?.message.parsed).toEqual({ name: 'Ann', age: 3 });
  const body = sent();
  expect(body.thinking).toMatchObject({ type: 'enabled' });
  expect(body.output_config).toMatchObject({ format: { type: 'json_schema', schema: { properties: { name: { type: 'string' }, age: { type: 'number' } } } } });
  expect(body.tool_choice).toBeUndefined();
});

it('responses.parse with reasoning.effort: Anthropic structured outputs, thinking kept', async () => {
  upstream.enqueue({ body: answer() });
  const response = await openai.responses.parse({
    model: 'claude/claude-sonnet-4-5',
    reasoning: { effort: 'low' },
    input: 'Ann is three. Extract.',
    text: { format: zodTextFormat(Person, 'person') },
  });
  expect(response.output_parsed).toEqual({ name: 'Ann', age: 3 });
  // Before the fix: no thinking (dropped as advisory) and a forced json_response tool instead.
  expect(sent().thinking).toMatchObject({ type: 'enabled' });
  expect(sent().output_config).toMatchObject({ format: { type: 'json_schema' } });
});
