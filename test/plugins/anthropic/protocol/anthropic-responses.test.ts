/** Answers between Anthropic's and OpenAI's formats, whole and streamed, both ways. */
import { describe, expect, it } from 'vitest';
import { AnthropicEventWriter, toAnthropicMessage } from '../../../../plugins/anthropic/protocol/from-openai-response.js';
import { AnthropicStreamTranslator, toOpenAICompletion } from '../../../../plugins/anthropic/protocol/to-openai-response.js';
import type { AnthropicMessage, AnthropicStreamEvent } from '../../../../plugins/anthropic/protocol/types.js';
import { nativeOf } from '../../../../core/protocol/native.js';
import type { ChatCompletionChunk } from '../../../../core/protocol/openai.js';
import { anthropicMessage, anthropicStreamEvents } from '../../../support/anthropic-wire.js';

const parse = (sse: string): AnthropicStreamEvent => JSON.parse(sse.split('\n')[1]?.slice('data: '.length) ?? '') as AnthropicStreamEvent;

function translate(events: string[], options: { jsonTool?: string; native?: boolean } = {}) {
  const translator = new AnthropicStreamTranslator('claude', options.jsonTool, options.native ?? false);
  const chunks = events.flatMap((e) => translator.translate(parse(e), e.split('\n')[1]?.slice(6) ?? ''));
  return { chunks, translator };
}

describe('Anthropic answers → OpenAI', () => {
  it('turns a message into a completion: text, thinking, tool calls, finish reason, usage', () => {
    const message = anthropicMessage(
      [{ thinking: { text: 'why', signature: 'S' } }, { text: 'Calling.' }, { toolUse: { id: 'tu', name: 'f', input: { q: 1 } } }],
      { usage: { input_tokens: 5, output_tokens: 7, cache_read_input_tokens: 20 } },
    ) as unknown as AnthropicMessage;
    const completion = toOpenAICompletion(message, undefined, 1);
    expect(completion.choices[0]).toEqual({
      index: 0,
      logprobs: null,
      finish_reason: 'tool_calls',
      message: {
        role: 'assistant',
        content: 'Calling.',
        reasoning_content: 'why',
        thinking_blocks: [{ type: 'thinking', thinking: 'why', signature: 'S' }],
        tool_calls: [{ id: 'tu', type: 'function', function: { name: 'f', arguments: '{"q":1}' } }],
      },
    });
    expect(completion.usage).toEqual({ prompt_tokens: 25, completion_tokens: 7, total_tokens: 32, prompt_tokens_details: { cached_tokens: 20 }, cache_read_input_tokens: 20 });
  });

  it.each([
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['max_tokens', 'length'],
    ['tool_use', 'tool_calls'],
    ['refusal', 'content_filter'],
  ])('maps stop reason %s to %s', (stopReason, finish) => {
    const message = anthropicMessage([{ text: 'x' }], { stopReason }) as unknown as AnthropicMessage;
    expect(toOpenAICompletion(message, undefined).choices[0]?.finish_reason).toBe(finish);
  });

  it('streams text, thinking and signatures as deltas, then finish and usage chunks', () => {
    const { chunks, translator } = translate(anthropicStreamEvents([{ thinking: { text: 'hm', signature: 'SIG' } }, { text: 'a b' }], { usage: { input_tokens: 3, output_tokens: 9 } }));
    expect(translator.complete).toBe(true);
    expect(chunks.map((c) => c.choices[0]?.delta ?? 'usage')).toEqual([
      { role: 'assistant', content: '' },
      { reasoning_content: 'hm' },
      { thinking_blocks: [{ type: 'thinking', thinking: '', signature: 'SIG' }] },
      { content: 'a ' },
      { content: 'b' },
      {},
      'usage',
    ]);
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('stop');
    expect(chunks.at(-1)?.usage).toEqual({ prompt_tokens: 3, completion_tokens: 9, total_tokens: 12 });
  });

  it('keeps how many cache writes were for an hour (they cost more), whole and streamed', () => {
    const usage = { input_tokens: 10, output_tokens: 4, cache_read_input_tokens: 50, cache_creation_input_tokens: 300, cache_creation: { ephemeral_5m_input_tokens: 100, ephemeral_1h_input_tokens: 200 } };
    const expected = { prompt_tokens: 360, completion_tokens: 4, total_tokens: 364, prompt_tokens_details: { cached_tokens: 50, cache_write_tokens: 300, cache_write_1h_tokens: 200 }, cache_read_input_tokens: 50, cache_creation_input_tokens: 300 };
    expect(toOpenAICompletion(anthropicMessage([{ text: 'ok' }], { usage }) as unknown as AnthropicMessage, undefined, 1).usage).toEqual(expected);
    expect(translate(anthropicStreamEvents([{ text: 'ok' }], { usage })).chunks.at(-1)?.usage).toEqual(expected);
    // Only 5-minute writes: nothing more than before.
    const fiveMinutes = { ...usage, cache_creation: { ephemeral_5m_input_tokens: 300, ephemeral_1h_input_tokens: 0 } };
    expect(toOpenAICompletion(anthropicMessage([{ text: 'ok' }], { usage: fiveMinutes }) as unknown as AnthropicMessage, undefined, 1).usage?.prompt_tokens_details).toEqual({ cached_tokens: 50, cache_write_tokens: 300 });
  });

  it('streams parallel tool calls with their own indexes', () => {
    const { chunks } = translate(anthropicStreamEvents([{ toolUse: { id: 't1', name: 'a', input: { x: 1 } } }, { toolUse: { id: 't2', name: 'b', input: { y: 2 } } }]));
    const calls = chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []);
    expect(calls.filter((c) => c.id).map((c) => [c.index, c.id, c.function?.name])).toEqual([
      [0, 't1', 'a'],
      [1, 't2', 'b'],
    ]);
    const args = [0, 1].map((i) => calls.filter((c) => c.index === i).map((c) => c.function?.arguments ?? '').join(''));
    expect(args.map((a) => JSON.parse(a))).toEqual([{ x: 1 }, { y: 2 }]);
    expect(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0]?.finish_reason).toBe('tool_calls');
  });

  it('streams a JSON-mode answer as content', () => {
    const { chunks } = translate(anthropicStreamEvents([{ toolUse: { id: 't', name: 'json_response', input: { ok: true } } }]), { jsonTool: 'json_response' });
    expect(chunks.map((c) => c.choices[0]?.delta.content ?? '').join('')).toBe('{"ok":true}');
    expect(chunks.some((c) => c.choices[0]?.delta.tool_calls)).toBe(false);
    expect(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0]?.finish_reason).toBe('stop');
  });

  it('gives native clients one chunk per event, each carrying the event verbatim', () => {
    const events = anthropicStreamEvents([{ text: 'hi' }]);
    const { chunks } = translate(events, { native: true });
    expect(chunks.map((c) => nativeOf(c, 'anthropic')?.data)).toEqual(events.map((e) => e.split('\n')[1]?.slice(6)));
    // The carrier never shows in JSON.
    expect(JSON.stringify(chunks[1])).not.toContain('ping');
  });

  it('throws on an error event, and on a stream that ends early', () => {
    const translator = new AnthropicStreamTranslator('claude', undefined, false);
    expect(() => translator.translate({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }, '')).toThrow(
      expect.objectContaining({ status: 503, provider: 'claude', code: 'overloaded_error', retryable: true }),
    );
    const { translator: cut } = translate(anthropicStreamEvents([{ text: 'a b c' }]).slice(0, 4));
    expect(() => cut.assertComplete()).toThrow(expect.objectContaining({ code: 'upstream_stream_truncated', retryable: true }));
  });
});

describe('OpenAI answers → Anthropic', () => {
  it('turns a completion into a message, splitting cached tokens out of input_tokens', () => {
    const message = toAnthropicMessage(
      {
        id: 'chatcmpl-1',
        object: 'chat.completion',
        created: 1,
        model: 'up',
        choices: [{ index: 0, finish_reason: 'tool_calls', message: { role: 'assistant', content: 'ok', reasoning_content: 'r', tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }] } }],
        usage: { prompt_tokens: 100, completion_tokens: 5, total_tokens: 105, prompt_tokens_details: { cached_tokens: 60 } },
      },
      'requested-model',
    );
    expect(message).toMatchObject({
      id: 'msg_chatcmpl-1',
      type: 'message',
      role: 'assistant',
      model: 'requested-model',
      stop_reason: 'tool_use',
      content: [
        { type: 'thinking', thinking: 'r', signature: '' },
        { type: 'text', text: 'ok' },
        { type: 'tool_use', id: 'c', name: 'f', input: { a: 1 } },
      ],
      usage: { input_tokens: 40, output_tokens: 5, cache_read_input_tokens: 60, cache_creation_input_tokens: 0 },
    });
  });

  it('tells an Anthropic client how many cache writes were for an hour, when the usage says', () => {
    const completion = (prompt_tokens_details: Record<string, number>) =>
      toAnthropicMessage(
        { id: 'c', object: 'chat.completion', created: 1, model: 'up', choices: [{ index: 0, finish_reason: 'stop', message: { role: 'assistant', content: 'ok' } }], usage: { prompt_tokens: 360, completion_tokens: 4, total_tokens: 364, prompt_tokens_details } },
        'm',
      ).usage;
    expect(completion({ cached_tokens: 50, cache_write_tokens: 300, cache_write_1h_tokens: 200 })).toEqual({
      input_tokens: 10,
      output_tokens: 4,
      cache_creation_input_tokens: 300,
      cache_read_input_tokens: 50,
      cache_creation: { ephemeral_5m_input_tokens: 100, ephemeral_1h_input_tokens: 200 },
    });
    expect(completion({ cached_tokens: 50, cache_write_tokens: 300 })).toEqual({ input_tokens: 10, output_tokens: 4, cache_creation_input_tokens: 300, cache_read_input_tokens: 50 });
  });

  it('streams blocks in order, closing one before the next opens', () => {
    const writer = new AnthropicEventWriter('m');
    const chunk = (delta: ChatCompletionChunk['choices'][number]['delta'], finish: string | null = null, usage?: ChatCompletionChunk['usage']): ChatCompletionChunk => ({
      id: 'x',
      object: 'chat.completion.chunk',
      created: 1,
      model: 'u',
      choices: [{ index: 0, delta, finish_reason: finish }],
      ...(usage ? { usage } : {}),
    });
    const events = [
      ...writer.write(chunk({ role: 'assistant', reasoning_content: 'think' })),
      ...writer.write(chunk({ content: 'Hello' })),
      ...writer.write(chunk({ tool_calls: [{ index: 0, id: 'c1', function: { name: 'f', arguments: '{"a"' } }] })),
      ...writer.write(chunk({ tool_calls: [{ index: 0, function: { arguments: ':1}' } }] })),
      ...writer.write(chunk({ tool_calls: [{ index: 1, id: 'c2', function: { name: 'g', arguments: '{}' } }] })),
      ...writer.write(chunk({}, 'tool_calls')),
      ...writer.write({ ...chunk({}), choices: [], usage: { prompt_tokens: 9, completion_tokens: 3, total_tokens: 12 } }),
      ...writer.end(),
    ];
    expect(events.map((e) => ('index' in e ? `${e.type}:${e.index}` : e.type))).toEqual([
      'message_start',
      'content_block_start:0',
      'content_block_delta:0',
      // The unsigned thinking's empty signature, as Anthropic ends every thinking block.
      'content_block_delta:0',
      'content_block_stop:0',
      'content_block_start:1',
      'content_block_delta:1',
      'content_block_stop:1',
      'content_block_start:2',
      'content_block_delta:2',
      'content_block_delta:2',
      'content_block_stop:2',
      'content_block_start:3',
      'content_block_delta:3',
      'content_block_stop:3',
      'message_delta',
      'message_stop',
    ]);
    expect(events.at(-2)).toEqual({ type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { input_tokens: 9, output_tokens: 3, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 } });
    expect(writer.end()).toEqual([]);
  });

  it('streams two signed thinking blocks as two, and a redacted one whole in its place', () => {
    // Before its fix, the second block's text went on in the first (one block, the last signature)
    // and the redacted block was left out, where the whole answer (toAnthropicMessage) keeps all three.
    const writer = new AnthropicEventWriter('m');
    const chunk = (delta: ChatCompletionChunk['choices'][number]['delta']): ChatCompletionChunk => ({ id: 'x', object: 'chat.completion.chunk', created: 1, model: 'u', choices: [{ index: 0, delta, finish_reason: null }] });
    const events = [
      ...writer.write(chunk({ reasoning_content: 'first' })),
      ...writer.write(chunk({ thinking_blocks: [{ type: 'thinking', thinking: 'first', signature: 'S1' }] })),
      ...writer.write(chunk({ thinking_blocks: [{ type: 'redacted_thinking', data: 'R' }] })),
      ...writer.write(chunk({ reasoning_content: 'second' })),
      ...writer.write(chunk({ thinking_blocks: [{ type: 'thinking', thinking: 'second', signature: 'S2' }] })),
      ...writer.end(),
    ];
    const starts = events.filter((e) => e.type === 'content_block_start').map((e) => ('content_block' in e ? e.content_block : undefined));
    expect(starts).toEqual([
      { type: 'thinking', thinking: '', signature: '' },
      { type: 'redacted_thinking', data: 'R' },
      { type: 'thinking', thinking: '', signature: '' },
    ]);
    const deltas = events.flatMap((e) => (e.type === 'content_block_delta' ? [[e.index, e.delta]] : []));
    expect(deltas).toEqual([
      [0, { type: 'thinking_delta', thinking: 'first' }],
      [0, { type: 'signature_delta', signature: 'S1' }],
      [2, { type: 'thinking_delta', thinking: 'second' }],
      [2, { type: 'signature_delta', signature: 'S2' }],
    ]);
  });
});
