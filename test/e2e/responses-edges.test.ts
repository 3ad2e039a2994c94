/**
 * The Responses API front-end (`plugins/responses/`) where it broke what OpenAI's reference says:
 * a malformed allowed_tools choice answered 500, a streamed thinking block sent back without its
 * text, Gemini's parallel calls merged, `xhigh` reasoning dropped, a failed stream's output empty,
 * a filtered message marked complete. Each case failed before its fix, as its comment says
 * ("Actual:" is what the code did). Mock upstreams over real sockets, the official `openai` client
 * or raw fetch.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { anthropicStreamEvents } from '../support/anthropic-wire.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { postResponsesStream } from '../support/responses-stream.js';
import { mockGeminiProvider, startMockGemini, type MockGemini } from '../support/mock-gemini.js';
import { chunk, startMockUpstream, wordChunks, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let gemini: MockGemini;
let gw: RunningGateway;
let client: OpenAI;

beforeAll(async () => {
  upstream = await startMockUpstream();
  gemini = await startMockGemini();
  gw = await startGateway({
    providers: {
      chat: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false },
      claude: { type: 'anthropic', apiKey: 'sk-ant', baseURL: upstream.baseURL, listModels: false },
      gem: mockGeminiProvider(gemini),
    },
  });
  client = new OpenAI({ baseURL: gw.baseURL, apiKey: 'client-key', maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
  await gemini?.close();
});
beforeEach(() => {
  upstream.reset();
  gemini.reset();
});

const weather = { type: 'function', name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } };
const time = { type: 'function', name: 'get_time', parameters: { type: 'object', properties: { city: { type: 'string' } } } };

const postStream = (body: Record<string, unknown>) => postResponsesStream(gw.baseURL, { stream: true, ...body });

describe('invalid input gives OpenAI error JSON with a 400, never a 500', () => {
  // Expected: `tool_choice: {type: 'allowed_tools', tools: [...]}` whose list holds something that is
  // not an object is a bad request: 400 `invalid_request_error`, naming the parameter. openai-node
  // `src/resources/responses/responses.ts`, `ToolChoiceAllowed.tools: Array<{ [key: string]: unknown }>`
  // (https://platform.openai.com/docs/api-reference/responses/create#responses-create-tool_choice).
  // Actual: 500 `internal_error` ("The gateway failed to handle the request."): validate-request.ts
  // does not check the items of `tool_choice.tools`, and tools.ts `toChatToolChoice` reads `tool.type`
  // of a null entry (TypeError).
  it('tool_choice allowed_tools with a null entry → 400, not 500', async () => {
    const res = await fetch(`${gw.baseURL}/responses`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'chat/mock-small', input: 'x', tools: [weather], tool_choice: { type: 'allowed_tools', mode: 'auto', tools: [null] } }),
    });
    const body = (await res.json()) as { error: { type: string } };
    expect(res.status).toBe(400);
    expect(body.error.type).toBe('invalid_request_error');
    expect(upstream.requests).toHaveLength(0);
  });

  // A reasoning item's `content` may be null (Codex sends it so, OpenAI takes it:
  // test/e2e/agents/codex-reasoning-content-null.test.ts); a message's may not.
  it.each([
    ['a typed message', { type: 'message', role: 'user', content: null }],
    ['an untyped message', { role: 'user', content: null }],
  ])('%s with content null → 400', async (_name, item) => {
    const res = await fetch(`${gw.baseURL}/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'chat/mock-small', input: [item] }) });
    expect(res.status).toBe(400);
    expect(upstream.requests).toHaveLength(0);
  });
});

describe('streamed function calls', () => {
  // Expected: two tool calls the model made in parallel come back as two `function_call` output items,
  // each with its own `call_id` and its own arguments (openai-node `ResponseFunctionToolCall`; the
  // Responses API's function-calling guide, https://platform.openai.com/docs/guides/function-calling,
  // "parallel function calling"). OpenAI-compatible hosts such as Gemini's
  // (generativelanguage.googleapis.com/v1beta/openai) stream each call whole in one delta *without*
  // `tool_calls[].index` (see e.g. AstrBotDevs/AstrBot#6661, anomalyco/opencode#17902); each delta
  // carries a new `id`.
  // Actual: stream-writer.ts `toolCall` keys open calls by `delta.index` only (`this.calls.get(undefined)`),
  // so the second call is appended to the first: one item `call_a` with arguments
  // `{"city":"Paris"}{"city":"Rome"}` (not JSON), and `get_time` is lost. The whole (non-streamed)
  // path does not have this problem.
  it('keeps parallel calls apart when the chat stream leaves tool_calls[].index out', async () => {
    upstream.enqueue({
      stream: {
        chunks: [
          chunk({ role: 'assistant', tool_calls: [{ id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] }),
          chunk({ tool_calls: [{ id: 'call_b', type: 'function', function: { name: 'get_time', arguments: '{"city":"Rome"}' } }] }),
          chunk({}, 'tool_calls'),
        ],
      },
    });
    const { events } = await postStream({ model: 'chat/mock-small', input: 'call both', tools: [weather, time] });
    const completed = events.at(-1);
    expect(completed?.event).toBe('response.completed');
    const calls = (completed?.data.response.output as Array<Record<string, unknown>>).filter((item) => item.type === 'function_call');
    expect(calls.map((call) => [call.call_id, call.name, call.arguments])).toEqual([
      ['call_a', 'get_weather', '{"city":"Paris"}'],
      ['call_b', 'get_time', '{"city":"Rome"}'],
    ]);
  });
});

describe('a stream that fails mid-way', () => {
  // Expected: the `response.failed` event's `response.output` holds what the model produced before the
  // failure, which the client was already sent as deltas. `Response.output` is "An array of content
  // items generated by the model" (openai-node `Response.output`;
  // https://platform.openai.com/docs/api-reference/responses-streaming/response/failed), and the
  // gateway's own contract says so: stream-writer.ts `fail()` "The response carries what was produced
  // so far and the error"; test/e2e/responses.test.ts "What had arrived is in the failed response".
  // Actual: the message item in the failed response is the empty placeholder sent with
  // `response.output_item.added` (`content: []`): stream-writer.ts `messageText` keeps the text only in
  // `this.current.parts` and `fail()` copies `this.output`, which is filled in only by `closeCurrent`.
  it('response.failed carries the text already streamed', async () => {
    upstream.enqueue({ stream: { chunks: wordChunks('one two three four'), cutAfter: 3, chunkDelayMs: 20 } });
    const { res, events } = await postStream({ model: 'chat/mock-small', input: 'x' });
    expect(res.status).toBe(200);
    const streamed = events.filter((e) => e.event === 'response.output_text.delta').map((e) => String(e.data.delta)).join('');
    expect(streamed).not.toBe('');
    const failed = events.at(-1);
    expect(failed?.event).toBe('response.failed');
    const message = (failed?.data.response.output as Array<{ type: string; content: Array<{ type: string; text?: string }> }>).find((item) => item.type === 'message');
    expect(message?.content).toEqual([expect.objectContaining({ type: 'output_text', text: streamed })]);
  });
});

describe('a rate limit reported mid-stream', () => {
  // Expected: an upstream that stops a stream with OpenAI's rate-limit error (type
  // `rate_limit_error`, code `rate_limit_exceeded`) ends the Responses stream with `response.failed`
  // whose error code is `rate_limit_exceeded` (openai-node `ResponseError.code`), and the chat
  // stream with an error of type `rate_limit_error`, so clients back off rather than report a fault.
  // Actual: provider-kit `reportedUpstreamError` made every mid-stream error an `upstream` one, and
  // the Responses writer reported it as `server_error`.
  const limited = { error: { message: 'Rate limit reached for requests', type: 'rate_limit_error', code: 'rate_limit_exceeded' } };

  it('fails the Responses stream with rate_limit_exceeded', async () => {
    upstream.enqueue({ stream: { chunks: [chunk({ role: 'assistant', content: 'partial' }), limited] } });
    const { events } = await postStream({ model: 'chat/mock-small', input: 'x' });
    const failed = events.at(-1);
    expect(failed?.event).toBe('response.failed');
    expect(failed?.data.response.error.code).toBe('rate_limit_exceeded');
  });

  it('ends the chat stream with an error of type rate_limit_error', async () => {
    upstream.enqueue({ stream: { chunks: [chunk({ role: 'assistant', content: 'partial' }), limited] } });
    const res = await fetch(`${gw.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'chat/mock-small', stream: true, messages: [{ role: 'user', content: 'x' }] }) });
    const text = await res.text();
    const error = text
      .split('\n\n')
      .map((block) => /^data: (.*)$/m.exec(block)?.[1])
      .filter((data): data is string => data !== undefined && data !== '[DONE]')
      .map((data) => JSON.parse(data) as { error?: { type: string; code: string } })
      .find((event) => event.error)?.error;
    expect(error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit_exceeded' });
  });
});

describe('an answer the content filter stopped', () => {
  // The response is `incomplete` with `incomplete_details.reason: 'content_filter'`; before its fix
  // its message item said `completed` (only a `length` stop made the item incomplete).
  it('has its message item incomplete, as the response is', async () => {
    upstream.enqueue({ stream: { chunks: [chunk({ role: 'assistant', content: 'partial' }), chunk({}, 'content_filter')] } });
    const { events } = await postStream({ model: 'chat/mock-small', input: 'x' });
    const last = events.at(-1);
    expect(last?.event).toBe('response.incomplete');
    expect(last?.data.response.incomplete_details).toEqual({ reason: 'content_filter' });
    const message = (last?.data.response.output as Array<{ type: string; status: string }>).find((item) => item.type === 'message');
    expect(message?.status).toBe('incomplete');
  });
});

describe('reasoning.effort mapping', () => {
  // Expected: `reasoning.effort: 'xhigh'` asks for MORE reasoning than 'high' (openai-node
  // `shared.ts` `ReasoningEffort = 'none' | 'minimal' | 'low' | 'medium' | 'high' | 'xhigh' | ...`;
  // https://platform.openai.com/docs/api-reference/responses/create#responses-create-reasoning-effort:
  // "Currently supported values are none, minimal, low, medium, high, and xhigh"). Codex CLI sends it
  // (`model_reasoning_effort = "xhigh"`). A translated Anthropic / Gemini target should therefore think
  // at least as much as for 'high' (Anthropic budget 16 384, Gemini 24 576 in this gateway's tables).
  // Actual: neither table knows 'xhigh' (anthropic from-openai-request.ts THINKING_BUDGET,
  // gemini to-gemini.ts THINKING_BUDGET); the adapters reject it as unsupported, and because
  // plugins/responses/api/responses.ts marks `reasoning_effort` advisory, the request is silently
  // re-sent WITHOUT reasoning: the client asking for the most reasoning gets none, with no
  // x-gateway-dropped header or error.
  it('xhigh gives an Anthropic target at least the thinking budget of high', async () => {
    const response = await client.responses.create({ model: 'claude/claude-test', input: 'think hard', reasoning: { effort: 'xhigh' } });
    expect(response.status).toBe('completed');
    const sent = upstream.requests.filter((r) => r.path === '/v1/messages').at(-1)?.body as { thinking?: { type: string; budget_tokens: number } };
    expect(sent.thinking).toMatchObject({ type: 'enabled' });
    expect(sent.thinking?.budget_tokens).toBeGreaterThanOrEqual(16_384);
  });

  it('xhigh gives a Gemini target at least the thinking budget of high', async () => {
    const response = await client.responses.create({ model: 'gem/gemini-mock-flash', input: 'think hard', reasoning: { effort: 'xhigh' } });
    expect(response.status).toBe('completed');
    const sent = gemini.requests.at(-1)?.body as { generationConfig?: { thinkingConfig?: { thinkingBudget?: number } } };
    expect(sent.generationConfig?.thinkingConfig?.thinkingBudget).toBeGreaterThanOrEqual(24_576);
  });
});

describe('Anthropic signed thinking across a streamed tool-use turn', () => {
  // Expected: the thinking block Anthropic streamed (text 'Let me think.', signature 'sig-abc') goes back
  // to Anthropic on the next turn exactly as it was made: "you must pass thinking blocks back to the API
  // for the last assistant message ... the complete unmodified block"
  // (https://docs.claude.com/en/docs/build-with-claude/extended-thinking#preserving-thinking-blocks);
  // the signature covers the thinking text, so a block with its text emptied is refused. The whole
  // (non-streamed) path does this right (test/e2e/responses.test.ts 'carries signed thinking across turns').
  // This is Codex CLI's own loop: `stream: true`, `store: false`,
  // `include: ['reasoning.encrypted_content']`, output items sent back with the tool's output.
  // Actual: the Anthropic adapter streams the thinking text as `reasoning_content` deltas and the
  // signature as a separate `thinking_blocks: [{type: 'thinking', thinking: '', signature}]` delta
  // (anthropic to-openai-response.ts, `signature_delta`), expecting the consumer to fill the text in (as
  // plugins/cache/entry.ts does); stream-writer.ts `write` pushes the block as is (`blocks.push(...)`),
  // so the reasoning item's encrypted_content keeps `thinking: ''` and the next request sends Anthropic
  // `{type: 'thinking', thinking: '', signature: 'sig-abc'}`. Same with `previous_response_id`.
  it('sends the thinking text back with its signature after a streamed turn', async () => {
    upstream.enqueue({
      stream: {
        chunks: anthropicStreamEvents([{ thinking: { text: 'Let me think.', signature: 'sig-abc' } }, { toolUse: { id: 'toolu_01', name: 'get_weather', input: { city: 'Paris' } } }]),
        done: false,
      },
    });
    const ask = { model: 'claude/claude-test', tools: [{ ...weather, strict: false }] as OpenAI.Responses.FunctionTool[], reasoning: { effort: 'low' as const }, store: false, include: ['reasoning.encrypted_content' as const] };
    const first = await client.responses.stream({ ...ask, input: 'weather in Paris?' }).finalResponse();
    expect(first.output.map((item) => item.type)).toEqual(['reasoning', 'function_call']);

    await client.responses.create({
      ...ask,
      input: [{ role: 'user', content: 'weather in Paris?' }, ...(first.output as OpenAI.Responses.ResponseInputItem[]), { type: 'function_call_output', call_id: 'toolu_01', output: 'sunny' }],
    });
    const messages = upstream.requests.filter((r) => r.path === '/v1/messages').at(-1)?.body?.messages as Array<{ role: string; content: Array<Record<string, unknown>> }>;
    expect(messages[1]?.content[0]).toEqual({ type: 'thinking', thinking: 'Let me think.', signature: 'sig-abc' });
  });
});
