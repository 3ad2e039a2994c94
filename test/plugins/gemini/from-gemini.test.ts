/**
 * Gemini answers as OpenAI chat completions: text and thoughts, tool calls and their signatures,
 * finish reasons, several candidates, usage with cached and reasoning tokens, log probabilities,
 * and answers that are not answers (a blocked prompt, no candidates).
 */
import { describe, expect, it } from 'vitest';
import type { GatewayError } from '../../../core/errors.js';
import { finishReasonFromGemini, newToolCallId, toOpenAICompletion, usageFromGemini } from '../../../plugins/gemini/from-gemini.js';
import type { GeminiResponse } from '../../../plugins/gemini/wire.js';
import { blockedPrompt, MODEL, parallelCallsAnswer, safetyStopped, textAnswer, thinkingAnswer, twoCandidates, withLogprobs } from './fixtures.js';

function ids(): () => string {
  let n = 0;
  return () => `call_${n++}`;
}

const translate = (response: GeminiResponse) => toOpenAICompletion(response, { provider: 'gem', model: MODEL, newToolCallId: ids(), created: 1_700_000_000 });

function refusal(run: () => unknown): GatewayError {
  try {
    run();
  } catch (error) {
    return error as GatewayError;
  }
  throw new Error('expected a refusal');
}

describe('text answers', () => {
  it('joins the text parts into one message, with the id, model and usage Gemini gave', () => {
    expect(translate(textAnswer)).toEqual({
      id: 'chatcmpl-resp-1',
      object: 'chat.completion',
      created: 1_700_000_000,
      model: 'gemini-2.5-flash',
      choices: [{ index: 0, message: { role: 'assistant', content: 'Hello, world!' }, finish_reason: 'stop', logprobs: null }],
      usage: { prompt_tokens: 7, completion_tokens: 4, total_tokens: 11 },
    });
  });

  it('falls back to the requested model and a random id when Gemini names neither', () => {
    const completion = translate({ candidates: [{ content: { role: 'model', parts: [{ text: 'x' }] }, finishReason: 'STOP' }] });
    expect(completion.model).toBe(MODEL);
    expect(completion.id).toMatch(/^chatcmpl-[0-9a-f]{24}$/);
    expect(completion.usage).toBeUndefined();
  });

  it('returns thought parts as reasoning_content, and thinking and cached tokens in usage', () => {
    const completion = translate(thinkingAnswer);
    expect(completion.choices[0]?.message).toEqual({ role: 'assistant', content: '42', reasoning_content: 'The user wants a number. Forty-two is the classic.' });
    expect(completion.usage).toEqual({
      prompt_tokens: 1200,
      // The answer's 2 tokens plus 150 thinking tokens: OpenAI counts reasoning as completion.
      completion_tokens: 152,
      total_tokens: 1352,
      prompt_tokens_details: { cached_tokens: 1000 },
      // LiteLLM's name for the same count, which Roo Code reads.
      cache_read_input_tokens: 1000,
      completion_tokens_details: { reasoning_tokens: 150 },
    });
  });

  it('makes one choice per candidate, each with its own finish reason', () => {
    const completion = translate(twoCandidates);
    expect(completion.choices.map((c) => [c.index, c.message.content, c.finish_reason])).toEqual([
      [0, 'One', 'stop'],
      [1, 'Two, cut', 'length'],
    ]);
  });

  it('answers a candidate stopped by the safety filter with no content and content_filter', () => {
    expect(translate(safetyStopped).choices).toEqual([{ index: 0, message: { role: 'assistant', content: '' }, finish_reason: 'content_filter', logprobs: null }]);
  });

  it('translates log probabilities: the chosen token and the alternatives at each step', () => {
    expect(translate(withLogprobs).choices[0]?.logprobs).toEqual({
      content: [
        { token: 'Hi', logprob: -0.1, bytes: [72, 105], top_logprobs: [{ token: 'Hi', logprob: -0.1, bytes: [72, 105] }, { token: 'Hello', logprob: -2.5, bytes: [72, 101, 108, 108, 111] }] },
        { token: '!', logprob: -0.01, bytes: [33], top_logprobs: [{ token: '!', logprob: -0.01, bytes: [33] }] },
      ],
    });
  });
});

describe('tool calls', () => {
  it('turns parallel functionCall parts into tool_calls with made-up ids, JSON arguments and the thought signature', () => {
    const choice = translate(parallelCallsAnswer).choices[0];
    expect(choice?.finish_reason).toBe('tool_calls');
    expect(choice?.message).toEqual({
      role: 'assistant',
      content: 'Let me check both.',
      tool_calls: [
        { id: 'call_0', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' }, extra_content: { google: { thought_signature: 'c2lnLTE=' } } },
        { id: 'call_1', type: 'function', function: { name: 'get_time', arguments: '{"city":"Paris","format":"24h"}' } },
      ],
    });
  });

  it('gives a tool-call-only message null content, keeps an id Gemini sent, and sends {} for missing args', () => {
    const message = translate({ candidates: [{ content: { role: 'model', parts: [{ functionCall: { id: 'fc-9', name: 'ping' } }] }, finishReason: 'STOP' }] }).choices[0]?.message;
    expect(message).toEqual({ role: 'assistant', content: null, tool_calls: [{ id: 'fc-9', type: 'function', function: { name: 'ping', arguments: '{}' } }] });
  });

  it('makes ids shaped like OpenAI ones, different on every call', () => {
    const made = new Set(Array.from({ length: 50 }, newToolCallId));
    expect(made.size).toBe(50);
    for (const id of made) expect(id).toMatch(/^call_[0-9a-f]{24}$/);
  });
});

describe('finish reasons', () => {
  it.each([
    ['STOP', false, 'stop'],
    ['STOP', true, 'tool_calls'],
    ['MAX_TOKENS', false, 'length'],
    ['MAX_TOKENS', true, 'length'],
    ['SAFETY', false, 'content_filter'],
    ['RECITATION', false, 'content_filter'],
    ['BLOCKLIST', false, 'content_filter'],
    ['PROHIBITED_CONTENT', false, 'content_filter'],
    ['SPII', false, 'content_filter'],
    ['IMAGE_SAFETY', false, 'content_filter'],
    ['MALFORMED_FUNCTION_CALL', false, 'stop'],
    ['OTHER', false, 'stop'],
    ['LANGUAGE', false, 'stop'],
    ['SOMETHING_NEW', true, 'tool_calls'],
    [undefined, false, null],
  ] as const)('%s (tool calls: %s) → %s', (reason, toolCalls, expected) => {
    expect(finishReasonFromGemini(reason, toolCalls)).toBe(expected);
  });
});

describe('usage', () => {
  it('counts nothing missing as zero and adds no details Gemini did not give', () => {
    expect(usageFromGemini({})).toEqual({ prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });
    expect(usageFromGemini({ promptTokenCount: 10, candidatesTokenCount: 5, cachedContentTokenCount: 0, thoughtsTokenCount: 0 })).toEqual({
      prompt_tokens: 10,
      completion_tokens: 5,
      total_tokens: 15,
      prompt_tokens_details: { cached_tokens: 0 },
      cache_read_input_tokens: 0,
      completion_tokens_details: { reasoning_tokens: 0 },
    });
  });
});

describe('answers that are not answers', () => {
  it('a prompt blocked before generation is a 400 content_filter naming the provider', () => {
    const error = refusal(() => translate(blockedPrompt));
    expect(error).toMatchObject({ status: 400, kind: 'invalid_request', code: 'content_filter', provider: 'gem', retryable: false });
    expect(error.message).toMatch(/^gem: the prompt was blocked .*PROHIBITED_CONTENT/);
  });

  it('an answer without candidates nor a block reason is a retryable 502', () => {
    expect(refusal(() => translate({ usageMetadata: { promptTokenCount: 1 } }))).toMatchObject({ status: 502, code: 'upstream_invalid_response', provider: 'gem', retryable: true });
  });
});
