/**
 * `response_format` beside function tools (plugins/gemini/answer-function.ts). Gemini before 3
 * refuses JSON output beside function declarations (400 "Function calling with a response mime
 * type: 'application/json' is unsupported"), so there the answer is a function of its own, forced
 * with the client's, and its call comes back as the assistant's text, whole and streamed. Gemini 3
 * takes both, and a request without tools takes JSON output on every model: those stay native.
 */
import { describe, expect, it } from 'vitest';
import type { ChatCompletionChunk, ChatCompletionRequest } from '../../../core/protocol/openai.js';
import { answerRoute, takesJsonBesideFunctions } from '../../../plugins/gemini/answer-function.js';
import { toOpenAICompletion } from '../../../plugins/gemini/from-gemini.js';
import { translateGeminiStream } from '../../../plugins/gemini/stream.js';
import { toGeminiRequest } from '../../../plugins/gemini/to-gemini.js';
import type { GeminiPart, GeminiResponse } from '../../../plugins/gemini/wire.js';
import { event, MODEL } from './fixtures.js';

const weatherTool = { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } };
const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'], additionalProperties: false };
const jsonSchema = { type: 'json_schema', json_schema: { name: 'out', strict: true, schema } };

const request = (extra: Partial<ChatCompletionRequest> & Record<string, unknown> = {}): ChatCompletionRequest => ({
  model: MODEL,
  messages: [{ role: 'user', content: 'hi' }],
  tools: [weatherTool],
  response_format: jsonSchema,
  ...extra,
});
const translate = (extra: Partial<ChatCompletionRequest> & Record<string, unknown> = {}) => toGeminiRequest(request(extra), { provider: 'gem', policy: 'error' });
const names = (body: ReturnType<typeof translate>) => body.tools?.[0]?.functionDeclarations?.map((d) => d.name);

describe('the request', () => {
  it('sends a JSON schema beside tools to Gemini 2.5 as a function of its own, forced with the client\'s, and no JSON output', () => {
    const body = translate();
    expect(body.generationConfig).toBeUndefined();
    expect(body.tools?.[0]?.functionDeclarations).toEqual([
      { name: 'get_weather', parametersJsonSchema: { type: 'object', properties: { city: { type: 'string' } } } },
      { name: 'json_response', description: expect.stringContaining('final answer'), parametersJsonSchema: schema },
    ]);
    expect(body.toolConfig).toEqual({ functionCallingConfig: { mode: 'ANY' } });
  });

  it('does the same for JSON mode, whose MIME type Gemini 2.x refuses beside tools just the same, and keeps other settings', () => {
    const body = translate({ response_format: { type: 'json_object' }, temperature: 0 });
    expect(body.generationConfig).toEqual({ temperature: 0 });
    expect(body.tools?.[0]?.functionDeclarations?.[1]).toMatchObject({ name: 'json_response', parametersJsonSchema: { type: 'object' } });
  });

  it('adds the client\'s description of the answer to the function\'s', () => {
    const body = translate({ response_format: { type: 'json_schema', json_schema: { name: 'out', description: 'A forecast.', schema } } });
    expect(body.tools?.[0]?.functionDeclarations?.[1]?.description).toMatch(/final answer.*A forecast\.$/);
  });

  it.each(['gemini-3-pro-preview', 'gemini-3-flash', 'gemini-3.1-pro-preview', 'models/gemini-3-flash-preview'])('keeps the native JSON output beside tools for %s', (model) => {
    const body = translate({ model });
    expect(body.generationConfig).toEqual({ responseMimeType: 'application/json', responseJsonSchema: schema });
    expect(names(body)).toEqual(['get_weather']);
    expect(body.toolConfig).toBeUndefined();
  });

  it('keeps the native JSON output without tools, on every model', () => {
    const body = translate({ tools: undefined });
    expect(body.generationConfig).toEqual({ responseMimeType: 'application/json', responseJsonSchema: schema });
    expect(body.tools).toBeUndefined();
  });

  it.each(['gemini-2.5-pro', 'gemini-2.0-flash', 'gemini-1.5-pro', 'gemini-flash-latest', 'tunedModels/my-model', 'gemma-3-27b-it'])('uses the function for %s (before 3, or a name that does not say)', (model) => {
    expect(takesJsonBesideFunctions(model)).toBe(false);
    expect(answerRoute(request({ model }))).toEqual({ kind: 'function', name: 'json_response' });
  });

  it('with tool_choice none, allows only the answer', () => {
    expect(translate({ tool_choice: 'none' }).toolConfig).toEqual({ functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['json_response'] } });
  });

  it('with tool_choice auto, or allowed_tools in auto mode, lets the model call any function, the answer included', () => {
    expect(translate({ tool_choice: 'auto' }).toolConfig).toEqual({ functionCallingConfig: { mode: 'ANY' } });
    const allowed = translate({ tools: [weatherTool, { type: 'function', function: { name: 'get_time' } }], tool_choice: { type: 'allowed_tools', allowed_tools: { mode: 'auto', tools: [{ type: 'function', function: { name: 'get_time' } }] } } });
    expect(names(allowed)).toEqual(['get_time', 'json_response']);
    expect(allowed.toolConfig).toEqual({ functionCallingConfig: { mode: 'ANY' } });
  });

  it.each([
    ['required', { mode: 'ANY' }],
    [{ type: 'function', function: { name: 'get_weather' } }, { mode: 'ANY', allowedFunctionNames: ['get_weather'] }],
  ])('with tool_choice %j (a call of the client\'s own), leaves the format out: the answer is a call', (choice, config) => {
    const body = translate({ tool_choice: choice });
    expect(body.generationConfig).toBeUndefined();
    expect(names(body)).toEqual(['get_weather']);
    expect(body.toolConfig).toEqual({ functionCallingConfig: config });
    expect(answerRoute(request({ tool_choice: choice }))).toEqual({ kind: 'left-out' });
  });

  it('names the function so that it cannot clash with a client tool', () => {
    const own = (name: string) => ({ type: 'function', function: { name } });
    const body = translate({ tools: [own('json_response'), own('json_response_2')] });
    expect(names(body)).toEqual(['json_response', 'json_response_2', 'json_response_3']);
    expect(answerRoute(request({ tools: [own('json_response')] }))).toEqual({ kind: 'function', name: 'json_response_2' });
  });
});

// ---- The answer ----------------------------------------------------------------------------------

function ids(): () => string {
  let n = 0;
  return () => `call_${n++}`;
}

const answerCall: GeminiPart = { functionCall: { name: 'json_response', args: { answer: 'sunny' } }, thoughtSignature: 'sig-1' };
const weatherCall: GeminiPart = { functionCall: { name: 'get_weather', args: { city: 'Paris' } } };
const whole = (parts: GeminiPart[], extra: { oneToolCall?: boolean; answerFunction?: string } = { answerFunction: 'json_response' }) =>
  toOpenAICompletion(event(parts, { finishReason: 'STOP' }), { provider: 'gem', model: MODEL, newToolCallId: ids(), ...extra }).choices[0];

async function streamed(list: GeminiResponse[], extra: { oneToolCall?: boolean } = {}): Promise<{ content: string; calls: unknown[]; finish: string | null }> {
  async function* events() {
    for (const item of list) yield { data: JSON.stringify(item) };
  }
  let content = '';
  const calls: unknown[] = [];
  let finish: string | null = null;
  const chunks: ChatCompletionChunk[] = [];
  for await (const chunk of translateGeminiStream(events(), { provider: 'gem', model: MODEL, newToolCallId: ids(), answerFunction: 'json_response', ...extra })) chunks.push(chunk);
  for (const chunk of chunks) {
    const choice = chunk.choices[0];
    content += choice?.delta.content ?? '';
    calls.push(...(choice?.delta.tool_calls ?? []));
    finish = choice?.finish_reason ?? finish;
  }
  return { content, calls, finish };
}

describe('the answer, whole', () => {
  it('gives a call of the answer function as the text content, finish_reason stop, and no tool call', () => {
    expect(whole([answerCall])).toMatchObject({ message: { role: 'assistant', content: '{"answer":"sunny"}' }, finish_reason: 'stop' });
    expect(whole([answerCall])?.message).not.toHaveProperty('tool_calls');
  });

  it('keeps a client tool call beside it as a tool call (finish_reason tool_calls), with the answer call\'s signature', () => {
    const choice = whole([answerCall, weatherCall]);
    expect(choice?.finish_reason).toBe('tool_calls');
    expect(choice?.message.content).toBe('{"answer":"sunny"}');
    expect(choice?.message.tool_calls).toEqual([
      { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' }, extra_content: { google: { thought_signature: 'sig-1' } } },
    ]);
  });

  it('under parallel_tool_calls false keeps the first call only, whichever it is', () => {
    expect(whole([answerCall, weatherCall], { oneToolCall: true, answerFunction: 'json_response' })).toMatchObject({ message: { content: '{"answer":"sunny"}' }, finish_reason: 'stop' });
    const first = whole([weatherCall, answerCall], { oneToolCall: true, answerFunction: 'json_response' });
    expect(first).toMatchObject({ message: { content: null }, finish_reason: 'tool_calls' });
    expect(first?.message.tool_calls?.map((call) => call.function.name)).toEqual(['get_weather']);
  });

  it('is a tool call like any other where the request declared no answer function', () => {
    expect(whole([answerCall], {})?.message.tool_calls?.[0]?.function.name).toBe('json_response');
  });
});

describe('the answer, streamed', () => {
  it('streams a call of the answer function as a content delta, finish_reason stop', async () => {
    expect(await streamed([event([{ text: '' }]), event([answerCall], { finishReason: 'STOP' })])).toEqual({ content: '{"answer":"sunny"}', calls: [], finish: 'stop' });
  });

  it('keeps a client tool call of a later event as a tool call, with index 0 and the answer call\'s signature', async () => {
    const result = await streamed([event([answerCall]), event([weatherCall], { finishReason: 'STOP' })]);
    expect(result).toEqual({
      content: '{"answer":"sunny"}',
      calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' }, extra_content: { google: { thought_signature: 'sig-1' } } }],
      finish: 'tool_calls',
    });
  });

  it('under parallel_tool_calls false counts the answer call as the first call', async () => {
    expect(await streamed([event([answerCall]), event([weatherCall], { finishReason: 'STOP' })], { oneToolCall: true })).toEqual({ content: '{"answer":"sunny"}', calls: [], finish: 'stop' });
  });
});
