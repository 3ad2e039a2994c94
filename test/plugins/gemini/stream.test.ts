/**
 * Gemini stream events as OpenAI chunks: incremental delivery, roles, text, thoughts, tool calls,
 * finish reasons, the closing usage chunk, several candidates, and every way a stream can go wrong.
 */
import { describe, expect, it } from 'vitest';
import type { GatewayError } from '../../../core/errors.js';
import type { ChatCompletionChunk } from '../../../core/protocol/openai.js';
import { translateGeminiStream } from '../../../plugins/gemini/stream.js';
import type { GeminiResponse } from '../../../plugins/gemini/wire.js';
import { blockedPrompt, event, MODEL, textStream, thinkingStream, toolCallStream } from './fixtures.js';

function ids(): () => string {
  let n = 0;
  return () => `call_${n++}`;
}

async function* events(list: Array<GeminiResponse | string>): AsyncGenerator<{ data: string }> {
  for (const item of list) yield { data: typeof item === 'string' ? item : JSON.stringify(item) };
}

const translate = (list: Array<GeminiResponse | string>) => translateGeminiStream(events(list), { provider: 'gem', model: MODEL, newToolCallId: ids() });

async function collect(list: Array<GeminiResponse | string>): Promise<ChatCompletionChunk[]> {
  const chunks: ChatCompletionChunk[] = [];
  for await (const chunk of translate(list)) chunks.push(chunk);
  return chunks;
}

async function failure(list: Array<GeminiResponse | string>): Promise<{ error: GatewayError; before: ChatCompletionChunk[] }> {
  const before: ChatCompletionChunk[] = [];
  try {
    for await (const chunk of translate(list)) before.push(chunk);
  } catch (error) {
    return { error: error as GatewayError, before };
  }
  throw new Error('expected a failure');
}

const deltas = (chunks: ChatCompletionChunk[]) => chunks.map((c) => c.choices[0]?.delta);

describe('text', () => {
  it('turns each event into a content delta, the first with the role, then a finish chunk and a usage chunk', async () => {
    const chunks = await collect(textStream);
    expect(deltas(chunks)).toEqual([{ role: 'assistant', content: 'Hel' }, { content: 'lo, wörld' }, { content: '!' }, {}, undefined]);
    expect(chunks.map((c) => c.choices[0]?.finish_reason ?? null)).toEqual([null, null, null, 'stop', null]);
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 7, completion_tokens: 3, total_tokens: 10 } });
    for (const chunk of chunks) expect(chunk).toMatchObject({ id: 'chatcmpl-stream-1', object: 'chat.completion.chunk', model: 'gemini-2.5-flash' });
    expect(new Set(chunks.map((c) => c.created)).size).toBe(1);
  });

  it('yields each chunk as its event arrives, before the next one exists', async () => {
    let release: (() => void) | undefined;
    let secondSent = false;
    async function* slow(): AsyncGenerator<{ data: string }> {
      yield { data: JSON.stringify(textStream[0]) };
      await new Promise<void>((resolve) => (release = resolve));
      secondSent = true;
      yield { data: JSON.stringify(textStream[2]) };
    }
    const iterator = translateGeminiStream(slow(), { provider: 'gem', model: MODEL })[Symbol.asyncIterator]();
    const first = await iterator.next();
    expect(first.value?.choices[0]?.delta).toEqual({ role: 'assistant', content: 'Hel' });
    // The next chunk is asked for while the upstream has not sent the next event yet.
    const pending = iterator.next();
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(secondSent).toBe(false);
    release?.();
    const rest: ChatCompletionChunk[] = [];
    for (let next = await pending; !next.done; next = await iterator.next()) rest.push(next.value);
    expect(secondSent).toBe(true);
    expect(deltas(rest)[0]).toEqual({ content: '!' });
  });

  it('returns thought parts as reasoning_content deltas, with thinking and cached tokens in usage', async () => {
    const chunks = await collect(thinkingStream);
    expect(deltas(chunks).slice(0, 3)).toEqual([{ role: 'assistant', reasoning_content: 'Thinking about it. ' }, { reasoning_content: 'Done thinking.' }, { content: '42' }]);
    expect(chunks.at(-1)?.usage).toEqual({
      prompt_tokens: 7,
      completion_tokens: 41,
      total_tokens: 48,
      prompt_tokens_details: { cached_tokens: 4 },
      cache_read_input_tokens: 4,
      completion_tokens_details: { reasoning_tokens: 40 },
    });
  });

  it('skips empty events and usage-only events without sending empty deltas', async () => {
    const chunks = await collect([{ usageMetadata: { promptTokenCount: 7 } }, event([]), ...textStream]);
    expect(deltas(chunks)[0]).toEqual({ role: 'assistant', content: 'Hel' });
  });
});

describe('tool calls', () => {
  it('sends each function call whole as a tool_calls delta with index, id, name and arguments, then finish_reason tool_calls', async () => {
    const chunks = await collect(toolCallStream);
    expect(deltas(chunks).slice(0, 3)).toEqual([
      { role: 'assistant', content: 'Checking.' },
      {
        tool_calls: [
          { index: 0, id: 'call_0', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' }, extra_content: { google: { thought_signature: 'c2ln' } } },
          { index: 1, id: 'call_1', type: 'function', function: { name: 'get_time', arguments: '{"city":"Paris"}' } },
        ],
      },
      {},
    ]);
    expect(chunks[2]?.choices[0]?.finish_reason).toBe('tool_calls');
  });

  it('keeps counting tool call indexes across events', async () => {
    const chunks = await collect([event([{ functionCall: { name: 'a', args: {} } }]), event([{ functionCall: { name: 'b', args: { x: 1 } } }], { finishReason: 'STOP' })]);
    expect(chunks.flatMap((c) => c.choices[0]?.delta.tool_calls ?? []).map((t) => [t.index, t.function?.name])).toEqual([
      [0, 'a'],
      [1, 'b'],
    ]);
  });
});

describe('finishing', () => {
  it('maps the finish reason: MAX_TOKENS → length, SAFETY → content_filter (even with no content)', async () => {
    expect((await collect([event([{ text: 'cut' }], { finishReason: 'MAX_TOKENS' })]))[1]?.choices[0]?.finish_reason).toBe('length');
    const filtered = await collect([{ candidates: [{ finishReason: 'SAFETY', index: 0 }] }]);
    expect(filtered[0]?.choices[0]).toEqual({ index: 0, delta: { role: 'assistant' }, finish_reason: 'content_filter', logprobs: null });
  });

  it('streams several candidates as choices with their own index, complete when all have finished', async () => {
    const chunks = await collect([
      { candidates: [{ content: { role: 'model', parts: [{ text: 'A' }] }, index: 0 }, { content: { role: 'model', parts: [{ text: 'B' }] }, index: 1 }] },
      { candidates: [{ content: { role: 'model', parts: [{ text: '!' }] }, index: 0, finishReason: 'STOP' }, { content: { role: 'model', parts: [] }, index: 1, finishReason: 'MAX_TOKENS' }] },
    ]);
    expect(chunks.map((c) => c.choices.map((choice) => [choice.index, choice.delta, choice.finish_reason]))).toEqual([
      [[0, { role: 'assistant', content: 'A' }, null]],
      [[1, { role: 'assistant', content: 'B' }, null]],
      [[0, { content: '!' }, null]],
      [[0, {}, 'stop']],
      [[1, {}, 'length']],
    ]);
  });

  it('closes with a usage chunk whatever stream_options said (the OpenAI front-end drops it for clients that did not ask)', async () => {
    const chunks = await collect(textStream);
    expect(chunks.at(-1)?.choices).toEqual([]);
    expect(chunks.at(-1)?.usage).toBeDefined();
  });
});

describe('failures', () => {
  it('a stream that ends before a finishReason is a retryable upstream_stream_truncated, after what came', async () => {
    const { error, before } = await failure(textStream.slice(0, 2));
    expect(error).toMatchObject({ kind: 'upstream', status: 502, code: 'upstream_stream_truncated', provider: 'gem', retryable: true });
    expect(error.message).toBe('gem: the stream ended before the answer was complete');
    expect(deltas(before)).toEqual([{ role: 'assistant', content: 'Hel' }, { content: 'lo, wörld' }]);
  });

  it('an empty stream, or one where a candidate never finished, is truncated too', async () => {
    expect((await failure([])).error).toMatchObject({ code: 'upstream_stream_truncated' });
    const oneUnfinished = [{ candidates: [{ content: { role: 'model' as const, parts: [{ text: 'A' }] }, index: 0, finishReason: 'STOP' }, { content: { role: 'model' as const, parts: [{ text: 'B' }] }, index: 1 }] }];
    expect((await failure(oneUnfinished)).error).toMatchObject({ code: 'upstream_stream_truncated' });
  });

  it('an event that is not JSON is upstream_invalid_response', async () => {
    const { error, before } = await failure([textStream[0] as GeminiResponse, '{"candidates": [']);
    expect(error).toMatchObject({ kind: 'upstream', code: 'upstream_invalid_response', provider: 'gem', retryable: true });
    expect(error.message).toMatch(/^gem: .*not JSON/);
    expect(before).toHaveLength(1);
  });

  it('an error object in the stream becomes the error it describes, naming the provider', async () => {
    const { error } = await failure([textStream[0] as GeminiResponse, JSON.stringify({ error: { code: 503, message: 'The model is overloaded. Please try again later.', status: 'UNAVAILABLE' } })]);
    expect(error).toMatchObject({ status: 503, code: 'UNAVAILABLE', provider: 'gem', retryable: true });
    expect(error.message).toBe('gem: The model is overloaded. Please try again later.');
    const { error: bare } = await failure([JSON.stringify({ error: { message: 'something broke' } })]);
    expect(bare).toMatchObject({ status: 502, code: 'upstream_stream_error', provider: 'gem', retryable: true, message: 'gem: something broke' });
  });

  it('a prompt blocked at the first event is a 400 content_filter', async () => {
    const { error, before } = await failure([blockedPrompt]);
    expect(error).toMatchObject({ status: 400, code: 'content_filter', provider: 'gem', retryable: false });
    expect(before).toEqual([]);
  });
});
