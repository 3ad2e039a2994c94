/**
 * OpenAI chat answers → Response objects and event streams, and the way back (an upstream's
 * Responses answer → chat, for native pass-through), as tables of cases.
 */
import { describe, expect, it } from 'vitest';
import type { ChatCompletion, ChatCompletionChunk } from '../../../index.js';
import { nativeOf } from '../../../index.js';
import { forClient, responseShell, toResponse, toResponseUsage } from '../../../plugins/responses/protocol/from-chat-response.js';
import { decodeReasoning } from '../../../plugins/responses/protocol/reasoning.js';
import { ResponseEventWriter } from '../../../plugins/responses/protocol/stream-writer.js';
import { ResponsesStreamTranslator, toChatCompletion, toChatUsage } from '../../../plugins/responses/protocol/to-chat-response.js';
import { ToolNames } from '../../../plugins/responses/protocol/tools.js';
import type { ResponseObject, ResponseStreamEvent } from '../../../plugins/responses/protocol/types.js';
import { responsesObject, responsesStreamEvents } from '../../support/responses-wire.js';

const shell = () => responseShell({ model: 'm', input: 'x' }, 'resp_1', 'm', 1700000000);
const names = () => {
  const n = new ToolNames();
  n.add('spawn', { name: 'spawn', namespace: 'agents' });
  return n;
};
const completionOf = (message: Record<string, unknown>, finish = 'stop', usage?: Record<string, unknown>): ChatCompletion =>
  ({ id: 'c', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', ...message }, finish_reason: finish }], ...(usage ? { usage } : {}) }) as ChatCompletion;
const chunkOf = (delta: Record<string, unknown>, finish: string | null = null, usage?: Record<string, unknown>): ChatCompletionChunk =>
  ({ id: 'c', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }], ...(usage ? { usage } : {}) }) as ChatCompletionChunk;

describe('a whole completion → a Response', () => {
  it.each<[string, Record<string, unknown>, string, unknown[], Record<string, unknown>]>([
    ['text', { content: 'hi' }, 'stop', [{ type: 'message', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'hi', annotations: [], logprobs: [] }] }], { status: 'completed', incomplete_details: null }],
    ['cut short', { content: 'h' }, 'length', [{ type: 'message', status: 'incomplete' }], { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } }],
    ['filtered', { content: '' }, 'content_filter', [{ type: 'message' }], { status: 'incomplete', incomplete_details: { reason: 'content_filter' } }],
    [
      'tool calls, a namespaced one under its namespace',
      { content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'spawn', arguments: '{}' } }, { id: 'call_2', type: 'function', function: { name: 'other', arguments: '{"a":1}' } }] },
      'tool_calls',
      [
        { type: 'function_call', status: 'completed', call_id: 'call_1', name: 'spawn', namespace: 'agents', arguments: '{}' },
        { type: 'function_call', status: 'completed', call_id: 'call_2', name: 'other', arguments: '{"a":1}' },
      ],
      { status: 'completed' },
    ],
    ['reasoning first', { content: 'a', reasoning_content: 'why' }, 'stop', [{ type: 'reasoning', summary: [{ type: 'summary_text', text: 'why' }] }, { type: 'message' }], {}],
    ['a refusal', { content: null, refusal: 'no' }, 'stop', [{ type: 'message', content: [{ type: 'refusal', refusal: 'no' }] }], {}],
  ])('%s', (_name, message, finish, output, fields) => {
    const response = toResponse(completionOf(message, finish), shell(), names());
    expect(response.output).toEqual(output.map((item) => expect.objectContaining(item as object)));
    expect(response).toMatchObject(fields);
  });

  it('keeps signed thinking in encrypted_content, shown only when included', () => {
    const blocks = [{ type: 'thinking' as const, thinking: 'why', signature: 'sig' }];
    const response = toResponse(completionOf({ content: 'a', reasoning_content: 'why', thinking_blocks: blocks }), shell(), names());
    const reasoning = response.output[0] as { encrypted_content?: string };
    expect(decodeReasoning(reasoning.encrypted_content)).toEqual({ thinking: blocks, toolCalls: {} });
    expect(forClient(response, ['reasoning.encrypted_content']).output[0]).toHaveProperty('encrypted_content');
    expect(forClient(response, undefined).output[0]).not.toHaveProperty('encrypted_content');
  });

  it('keeps tool calls\' provider data (Gemini\'s thought signatures) in a reasoning item before the calls', () => {
    const extra = { google: { thought_signature: 'sig-f' } };
    const response = toResponse(completionOf({ content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'f', arguments: '{}' }, extra_content: extra }] }, 'tool_calls'), shell(), names());
    const [reasoning, call] = response.output as Array<{ id?: string; type: string; summary?: unknown[]; encrypted_content?: string }>;
    expect(reasoning).toMatchObject({ type: 'reasoning', summary: [] });
    expect(decodeReasoning(reasoning?.encrypted_content)).toEqual({ thinking: [], toolCalls: { call_1: extra } });
    expect(call).toMatchObject({ type: 'function_call', call_id: 'call_1' });
    expect(call).not.toHaveProperty('extra_content');
    // A client that does not see encrypted_content is shown the item without it, as OpenAI shows
    // reasoning items: its id, sent back, finds the signatures in the store (conversation.ts).
    const shown = forClient(response, []).output;
    expect(shown.map((item) => item.type)).toEqual(['reasoning', 'function_call']);
    expect(shown[0]).toMatchObject({ id: reasoning?.id, summary: [] });
    expect(shown[0]).not.toHaveProperty('encrypted_content');
  });

  it.each<[string, Record<string, unknown> | undefined, unknown]>([
    ['none', undefined, null],
    ['plain', { prompt_tokens: 5, completion_tokens: 2, total_tokens: 7 }, { input_tokens: 5, input_tokens_details: { cached_tokens: 0 }, output_tokens: 2, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 7 }],
    [
      'cached and reasoning tokens',
      { prompt_tokens: 50, completion_tokens: 20, total_tokens: 70, prompt_tokens_details: { cached_tokens: 40, cache_write_tokens: 3 }, completion_tokens_details: { reasoning_tokens: 12 } },
      { input_tokens: 50, input_tokens_details: { cached_tokens: 40, cache_write_tokens: 3 }, output_tokens: 20, output_tokens_details: { reasoning_tokens: 12 }, total_tokens: 70 },
    ],
  ])('usage: %s', (_name, usage, expected) => {
    expect(toResponseUsage(usage as never)).toEqual(expected);
  });

  it('echoes the request\'s settings as OpenAI does', () => {
    const echoed = responseShell({ model: 'm', instructions: 'be brief', temperature: 0.5, max_output_tokens: 9, store: false, tools: [{ type: 'web_search' }], tool_choice: 'required', text: { format: { type: 'json_object' } } }, 'resp_2', 'm');
    expect(echoed).toMatchObject({ instructions: 'be brief', temperature: 0.5, top_p: 1, max_output_tokens: 9, store: false, tools: [{ type: 'web_search' }], tool_choice: 'required', text: { format: { type: 'json_object' } }, parallel_tool_calls: true, previous_response_id: null, metadata: {} });
  });
});

describe('chunks → the event stream', () => {
  const run = (chunks: ChatCompletionChunk[]) => {
    const writer = new ResponseEventWriter(shell(), names());
    const events: ResponseStreamEvent[] = [...writer.start()];
    for (const chunk of chunks) events.push(...writer.write(chunk));
    events.push(...writer.finish());
    return { events, writer };
  };

  it('numbers every event in order', () => {
    const { events } = run([chunkOf({ role: 'assistant', content: '' }), chunkOf({ content: 'a' }), chunkOf({}, 'stop')]);
    expect(events.map((e) => e.sequence_number)).toEqual(events.map((_, i) => i));
  });

  it.each<[string, ChatCompletionChunk[], string[]]>([
    [
      'text',
      [chunkOf({ content: 'a' }), chunkOf({ content: 'b' }), chunkOf({}, 'stop')],
      ['output_item.added', 'content_part.added', 'output_text.delta', 'output_text.delta', 'output_text.done', 'content_part.done', 'output_item.done', 'completed'],
    ],
    [
      'reasoning, then text',
      [chunkOf({ reasoning_content: 'hm' }), chunkOf({ content: 'a' }), chunkOf({}, 'stop')],
      [
        'output_item.added',
        'reasoning_summary_part.added',
        'reasoning_summary_text.delta',
        'reasoning_summary_text.done',
        'reasoning_summary_part.done',
        'output_item.done',
        'output_item.added',
        'content_part.added',
        'output_text.delta',
        'output_text.done',
        'content_part.done',
        'output_item.done',
        'completed',
      ],
    ],
    [
      'text, then a call',
      [chunkOf({ content: 'a' }), chunkOf({ tool_calls: [{ index: 0, id: 'c1', type: 'function', function: { name: 'f', arguments: '' } }] }), chunkOf({ tool_calls: [{ index: 0, function: { arguments: '{}' } }] }), chunkOf({}, 'tool_calls')],
      ['output_item.added', 'content_part.added', 'output_text.delta', 'output_text.done', 'content_part.done', 'output_item.done', 'output_item.added', 'function_call_arguments.delta', 'function_call_arguments.done', 'output_item.done', 'completed'],
    ],
    ['a cut-short answer', [chunkOf({ content: 'a' }), chunkOf({}, 'length')], ['output_item.added', 'content_part.added', 'output_text.delta', 'output_text.done', 'content_part.done', 'output_item.done', 'incomplete']],
    ['a refusal', [chunkOf({ refusal: 'no' }), chunkOf({}, 'stop')], ['output_item.added', 'content_part.added', 'refusal.delta', 'refusal.done', 'content_part.done', 'output_item.done', 'completed']],
    ['nothing at all', [chunkOf({}, 'stop')], ['completed']],
  ])('%s', (_name, chunks, expected) => {
    const { events } = run(chunks);
    expect(events.slice(2).map((e) => e.type.replace(/^response\./, ''))).toEqual(expected);
  });

  it('keeps interleaved parallel calls apart and closes them in order', () => {
    const { events, writer } = run([
      chunkOf({ tool_calls: [{ index: 0, id: 'c1', type: 'function', function: { name: 'spawn', arguments: '{"a"' } }] }),
      chunkOf({ tool_calls: [{ index: 1, id: 'c2', type: 'function', function: { name: 'g', arguments: '{"b"' } }] }),
      chunkOf({ tool_calls: [{ index: 0, function: { arguments: ':1}' } }] }),
      chunkOf({ tool_calls: [{ index: 1, function: { arguments: ':2}' } }] }),
      chunkOf({}, 'tool_calls', undefined),
      { ...chunkOf({}), choices: [], usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 } } as ChatCompletionChunk,
    ]);
    expect(events.filter((e) => e.type === 'response.function_call_arguments.done').map((e) => [e.output_index, e.arguments, e.name])).toEqual([
      [0, '{"a":1}', 'spawn'],
      [1, '{"b":2}', 'g'],
    ]);
    expect(writer.response?.output).toEqual([
      expect.objectContaining({ type: 'function_call', call_id: 'c1', name: 'spawn', namespace: 'agents', arguments: '{"a":1}', status: 'completed' }),
      expect.objectContaining({ type: 'function_call', call_id: 'c2', name: 'g', arguments: '{"b":2}', status: 'completed' }),
    ]);
    expect(writer.response?.usage).toMatchObject({ input_tokens: 3, output_tokens: 4, total_tokens: 7 });
  });

  it('carries tool calls\' provider data in a reasoning item after them, shown when included', () => {
    const call = chunkOf({ tool_calls: [{ index: 0, id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' }, extra_content: { google: { thought_signature: 'sig' } } }] });
    const included = new ResponseEventWriter(shell(), names(), ['reasoning.encrypted_content']);
    const events = [...included.start(), ...included.write(call), ...included.write(chunkOf({}, 'tool_calls')), ...included.finish()];
    expect(events.slice(2).map((e) => e.type.replace(/^response\./, ''))).toEqual(['output_item.added', 'function_call_arguments.delta', 'function_call_arguments.done', 'output_item.done', 'output_item.added', 'output_item.done', 'completed']);
    expect(decodeReasoning((events.at(-2)?.item as { encrypted_content?: string }).encrypted_content)?.toolCalls).toEqual({ c1: { google: { thought_signature: 'sig' } } });

    const hidden = new ResponseEventWriter(shell(), names());
    const quiet = [...hidden.start(), ...hidden.write(call), ...hidden.write(chunkOf({}, 'tool_calls')), ...hidden.finish()];
    expect(quiet.slice(2).map((e) => e.type.replace(/^response\./, ''))).toEqual(['output_item.added', 'function_call_arguments.delta', 'function_call_arguments.done', 'output_item.done', 'output_item.added', 'output_item.done', 'completed']);
    // Told of the reasoning item, without what it carries.
    expect(quiet.at(-2)?.item).toMatchObject({ type: 'reasoning', summary: [] });
    expect(quiet.at(-2)?.item).not.toHaveProperty('encrypted_content');
    expect((quiet.at(-1)?.response as ResponseObject).output.map((item) => item.type)).toEqual(['function_call', 'reasoning']);
    expect(JSON.stringify(quiet)).not.toContain('encrypted_content');
    // The stored response keeps it for previous_response_id.
    expect(hidden.response?.output.map((item) => item.type)).toEqual(['function_call', 'reasoning']);
  });

  // The message the client was streamed, with its text, cut short (it was the empty placeholder, `in_progress`).
  it('fails with what was produced so far', () => {
    const writer = new ResponseEventWriter(shell(), names());
    writer.start();
    writer.write(chunkOf({ content: 'par' }));
    const failed = writer.fail({ code: 'server_error', message: 'cut' });
    expect(failed).toMatchObject({ type: 'response.failed', sequence_number: 5, response: { status: 'failed', error: { code: 'server_error', message: 'cut' }, output: [{ type: 'message', status: 'incomplete', content: [{ type: 'output_text', text: 'par' }] }] } });
  });
});

describe('an upstream\'s Responses answer → chat (native pass-through)', () => {
  it('reads a whole response as a completion that carries the upstream\'s bytes', () => {
    const body = responsesObject([{ reasoning: 'why' }, { text: 'hello' }, { call: { callId: 'call_9', name: 'f', arguments: '{}' } }], { usage: { input_tokens: 9, output_tokens: 3, cached_tokens: 4, reasoning_tokens: 1 } });
    const raw = JSON.stringify(body, null, 2);
    const completion = toChatCompletion(body as unknown as ResponseObject, raw);
    expect(completion.choices[0]).toMatchObject({ message: { content: 'hello', reasoning_content: 'why', tool_calls: [{ id: 'call_9', function: { name: 'f', arguments: '{}' } }] }, finish_reason: 'tool_calls' });
    expect(completion.usage).toEqual({ prompt_tokens: 9, completion_tokens: 3, total_tokens: 12, prompt_tokens_details: { cached_tokens: 4 }, completion_tokens_details: { reasoning_tokens: 1 } });
    expect(nativeOf(completion, 'openai-responses')?.data).toBe(raw);
    expect(JSON.stringify(completion)).not.toContain('native');
  });

  it.each([
    ['completed', undefined, 'stop'],
    ['incomplete', 'incomplete' as const, 'length'],
  ])('a %s response finishes with %s', (_name, status, finish) => {
    const body = responsesObject([{ text: 'x' }], status ? { status } : {});
    expect(toChatCompletion(body as unknown as ResponseObject, '{}').choices[0]?.finish_reason).toBe(finish);
  });

  it('reads a stream as chunks, one carrier per event, and fails after passing a failure on', () => {
    const translator = new ResponsesStreamTranslator('openai');
    const events = responsesStreamEvents([{ text: 'a b' }, { call: { callId: 'call_1', name: 'f', arguments: '{"x":1}' } }], { usage: { input_tokens: 2, output_tokens: 3 } });
    const chunks = events.flatMap((event) => {
      const [, name, data] = /^event: (.*)\ndata: (.*)\n\n$/.exec(event) ?? [];
      return translator.translate(name ?? '', data ?? '');
    });
    expect(chunks.filter((c) => nativeOf(c, 'openai-responses'))).toHaveLength(events.length);
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(text).toBe('a b');
    const calls = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    expect(calls).toEqual([{ index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '' } }, { index: 0, function: { arguments: '{"x' } }, { index: 0, function: { arguments: '":1}' } }]);
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('tool_calls');
    expect(chunks.at(-1)?.usage).toMatchObject({ prompt_tokens: 2, completion_tokens: 3 });
    expect(translator.complete).toBe(true);

    const failing = new ResponsesStreamTranslator('openai');
    failing.translate('response.failed', JSON.stringify({ type: 'response.failed', response: { error: { code: 'rate_limit_exceeded', message: 'slow down' } } }));
    expect(failing.failure).toMatchObject({ code: 'rate_limit_exceeded', message: 'openai: slow down', provider: 'openai' });
  });

  it('says a stream that stopped before its end is truncated', () => {
    const translator = new ResponsesStreamTranslator('openai');
    translator.translate('response.created', JSON.stringify({ type: 'response.created', response: { id: 'r' } }));
    expect(() => translator.assertComplete()).toThrow(/ended before the response was complete/);
    expect(() => translator.translate('x', '{nope')).toThrow(/not JSON/);
  });

  it('chat usage from Responses usage, and back', () => {
    const usage = { input_tokens: 10, input_tokens_details: { cached_tokens: 2 }, output_tokens: 5, output_tokens_details: { reasoning_tokens: 1 }, total_tokens: 15 };
    expect(toResponseUsage(toChatUsage(usage))).toEqual(usage);
  });
});
