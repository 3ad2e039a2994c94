/**
 * The `/v1/completions` front-end's two halves without sockets: how a request is read (checks, the
 * chat view, what it cannot express) and how a chat answer is written as a text completion.
 */
import { describe, expect, it } from 'vitest';
import type { GatewayError } from '../../../core/errors.js';
import type { ChatCompletion, ChatCompletionChunk } from '../../../core/protocol/openai.js';
import { readCompletionsRequest } from '../../../plugins/openai/api/completions-request.js';
import { TextCompletionChunks, toTextCompletion } from '../../../plugins/openai/api/text-completion-writer.js';

const thrown = (body: Record<string, unknown>): GatewayError => {
  try {
    readCompletionsRequest(body);
  } catch (error) {
    return error as GatewayError;
  }
  throw new Error('expected a refusal');
};

describe('reading a request', () => {
  it('views the prompt as one user message with the shared parameters, and the rest passing through', () => {
    const body = { model: 'm', prompt: 'def f(', max_tokens: 9, temperature: 0.1, top_p: 0.9, n: 2, stop: '\n', presence_penalty: 0.5, frequency_penalty: 0.2, logit_bias: { '50256': -100 }, seed: 3, user: 'u', echo: false, min_p: 0.05 };
    const { request, losses, echo } = readCompletionsRequest(body);
    expect(request).toEqual({ model: 'm', messages: [{ role: 'user', content: 'def f(' }], max_tokens: 9, temperature: 0.1, top_p: 0.9, n: 2, stop: '\n', presence_penalty: 0.5, frequency_penalty: 0.2, logit_bias: { '50256': -100 }, seed: 3, user: 'u', min_p: 0.05 });
    expect(losses).toEqual([]);
    expect(echo).toBe('');
  });

  it('keeps the client\'s stream options as they are: the kernel asks a stream\'s usage, as its own hint (test/e2e/stream-usage-asked-by-kernel.test.ts)', () => {
    expect(readCompletionsRequest({ model: 'm', prompt: 'x', stream: true, stream_options: { other: 1 } }).request.stream_options).toEqual({ other: 1 });
    expect(readCompletionsRequest({ model: 'm', prompt: 'x' }).request.stream_options).toBeUndefined();
  });

  it('keeps the prompt for echo; null and one-string arrays are one prompt', () => {
    expect(readCompletionsRequest({ model: 'm', prompt: 'hi', echo: true }).echo).toBe('hi');
    expect(readCompletionsRequest({ model: 'm', prompt: ['only'] })).toMatchObject({ losses: [], request: { messages: [{ content: 'only' }] } });
    expect(readCompletionsRequest({ model: 'm', prompt: null })).toMatchObject({ losses: [], request: { messages: [{ content: '' }] } });
  });

  it.each([
    [{ suffix: '}' }, ['suffix']],
    [{ suffix: '' }, []],
    [{ suffix: null }, []],
    [{ best_of: 3 }, ['best_of']],
    [{ best_of: 2, n: 2 }, []],
    [{ best_of: 1 }, []],
    [{ logprobs: 0 }, ['logprobs']],
    [{ logprobs: null }, []],
    [{ prompt: [1, 2, 3] }, ['prompt']],
    [{ prompt: [[1], [2]] }, ['prompt']],
    [{ prompt: ['a', 'b'] }, ['prompt']],
    [{ suffix: 'x', best_of: 5, logprobs: 1, echo: true }, ['suffix', 'best_of', 'logprobs']],
  ])('%j loses %j in chat', (extra, params) => {
    const { losses } = readCompletionsRequest({ model: 'm', prompt: 'p', ...extra });
    expect(losses.map((l) => l.param)).toEqual(params);
    expect(losses.every((l) => l.kind === 'content' && l.why.length > 0)).toBe(true);
  });

  it.each([
    [{ prompt: 'x' }, 'model', 'missing_required_parameter'],
    [{ model: '', prompt: 'x' }, 'model', 'invalid_value'],
    [{ model: 'm' }, 'prompt', 'missing_required_parameter'],
    [{ model: 'm', prompt: { text: 'x' } }, 'prompt', 'invalid_value'],
    [{ model: 'm', prompt: [1.5] }, 'prompt', 'invalid_value'],
    [{ model: 'm', prompt: 'x', n: 'two' }, 'n', 'invalid_value'],
    [{ model: 'm', prompt: 'x', stop: 5 }, 'stop', 'invalid_value'],
    [{ model: 'm', prompt: 'x', suffix: 5 }, 'suffix', 'invalid_value'],
  ])('refuses %j naming %s', (body, param, code) => {
    const error = thrown(body);
    expect(error).toMatchObject({ kind: 'invalid_request', code });
    expect(error.param?.startsWith(param)).toBe(true);
  });

  it('leaves values to the upstream: no ranges', () => {
    expect(() => readCompletionsRequest({ model: 'm', prompt: 'x', temperature: 7, n: 0, max_tokens: -1, logprobs: 50 })).not.toThrow();
  });
});

const completion = (choices: ChatCompletion['choices'], extra: Partial<ChatCompletion> = {}): ChatCompletion => ({ id: 'chatcmpl-abc', object: 'chat.completion', created: 9, model: 'gpt-x', choices, ...extra });
const chunk = (choices: ChatCompletionChunk['choices'], extra: Partial<ChatCompletionChunk> = {}): ChatCompletionChunk => ({ id: 'chatcmpl-s', object: 'chat.completion.chunk', created: 9, model: 'gpt-x', choices, ...extra });

describe('writing a chat answer as a text completion', () => {
  it('whole: text, index, null logprobs, finish reasons a text completion has, usage and fingerprint', () => {
    const usage = { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 };
    const written = toTextCompletion(
      completion(
        [
          { index: 0, message: { role: 'assistant', content: 'one' }, finish_reason: 'length' },
          { index: 1, message: { role: 'assistant', content: [{ type: 'text', text: 'two' }] }, finish_reason: 'tool_calls' },
          { index: 2, message: { role: 'assistant', content: null }, finish_reason: 'content_filter' },
        ],
        { usage, system_fingerprint: 'fp_1' },
      ),
      '',
    );
    expect(written).toEqual({
      id: 'cmpl-abc',
      object: 'text_completion',
      created: 9,
      model: 'gpt-x',
      choices: [
        { text: 'one', index: 0, logprobs: null, finish_reason: 'length' },
        { text: 'two', index: 1, logprobs: null, finish_reason: 'stop' },
        { text: '', index: 2, logprobs: null, finish_reason: 'content_filter' },
      ],
      system_fingerprint: 'fp_1',
      usage,
    });
    expect(toTextCompletion(completion([{ index: 0, message: { role: 'assistant', content: 'b' }, finish_reason: 'stop' }], { id: 'msg_1' }), 'a').choices[0]?.text).toBe('ab');
    expect(toTextCompletion(completion([], { id: 'msg_1' }), '').id).toBe('cmpl-msg_1');
  });

  it('streamed: skips what adds nothing, leads each choice with the echo once, and shows usage only when asked', () => {
    const usage = { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 };
    const parts = [
      chunk([{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }]),
      chunk([{ index: 0, delta: { content: 'a' }, finish_reason: null }, { index: 1, delta: { content: 'b' }, finish_reason: null }]),
      chunk([{ index: 0, delta: { reasoning_content: 'hm' }, finish_reason: null }]),
      chunk([{ index: 0, delta: {}, finish_reason: 'stop' }, { index: 1, delta: {}, finish_reason: 'length' }]),
      chunk([], { usage }),
    ];
    const plain = new TextCompletionChunks('', false);
    expect(parts.map((p) => plain.write(p)?.choices.map((c) => [c.index, c.text, c.finish_reason]) ?? null)).toEqual([
      null,
      [
        [0, 'a', null],
        [1, 'b', null],
      ],
      null,
      [
        [0, '', 'stop'],
        [1, '', 'length'],
      ],
      null,
    ]);

    const echoing = new TextCompletionChunks('P:', true);
    const written = parts.map((p) => echoing.write(p));
    expect(written[0]?.choices).toEqual([{ text: 'P:', index: 0, logprobs: null, finish_reason: null }]);
    expect(written[1]?.choices.map((c) => c.text)).toEqual(['a', 'P:b']);
    expect(written[4]).toEqual({ id: 'cmpl-s', object: 'text_completion', created: 9, model: 'gpt-x', choices: [], usage });
  });
});
