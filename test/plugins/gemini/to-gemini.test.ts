/**
 * OpenAI chat requests as Gemini generateContent bodies: messages and roles, content parts, tools
 * and tool results, output format, sampling settings, thinking, and the unsupported-parameter policy.
 */
import { describe, expect, it } from 'vitest';
import type { GatewayError } from '../../../core/errors.js';
import type { ChatCompletionRequest, ChatMessage } from '../../../core/protocol/openai.js';
import type { UnsupportedParamsPolicy } from '../../../core/providers/unsupported.js';
import { guessMimeType, toGeminiRequest } from '../../../plugins/gemini/to-gemini.js';
import { MODEL } from './fixtures.js';

const translate = (extra: Partial<ChatCompletionRequest> & Record<string, unknown> = {}, policy: UnsupportedParamsPolicy = 'error') =>
  toGeminiRequest({ model: MODEL, messages: [{ role: 'user', content: 'hi' }], ...extra }, { provider: 'gem', policy });

const messages = (...list: ChatMessage[]) => ({ messages: list });

function refusal(run: () => unknown): GatewayError {
  try {
    run();
  } catch (error) {
    return error as GatewayError;
  }
  throw new Error('expected a refusal');
}

const weatherTool = {
  type: 'function',
  function: {
    name: 'get_weather',
    description: 'Weather in a city',
    parameters: { $schema: 'http://json-schema.org/draft-07/schema#', type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
  },
};
const timeTool = { type: 'function', function: { name: 'get_time', parameters: { type: 'object', properties: { city: { type: 'string' } } } } };

describe('messages', () => {
  it('sends a lone user message as one user turn and nothing else', () => {
    expect(translate()).toEqual({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] });
  });

  it('gathers system and developer messages, wherever they are, into systemInstruction', () => {
    const body = translate(
      messages(
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'hi' },
        { role: 'developer', content: [{ type: 'text', text: 'Answer in French.' }] },
        { role: 'user', content: 'again' },
      ),
    );
    expect(body.systemInstruction).toEqual({ parts: [{ text: 'Be brief.' }, { text: 'Answer in French.' }] });
    expect(body.contents).toEqual([
      { role: 'user', parts: [{ text: 'hi' }] },
      { role: 'user', parts: [{ text: 'again' }] },
    ]);
  });

  it('keeps a multi-turn history in order, the assistant speaking as model, without its reasoning', () => {
    const body = translate(
      messages(
        { role: 'user', content: 'What is 6x7?' },
        { role: 'assistant', content: '42', reasoning_content: 'six sevens', thinking_blocks: [{ type: 'thinking', thinking: 'x', signature: 's' }] },
        { role: 'user', content: 'And 6x8?' },
      ),
    );
    expect(body.contents).toEqual([
      { role: 'user', parts: [{ text: 'What is 6x7?' }] },
      { role: 'model', parts: [{ text: '42' }] },
      { role: 'user', parts: [{ text: 'And 6x8?' }] },
    ]);
  });

  it('skips empty messages, which Gemini refuses', () => {
    const body = translate(messages({ role: 'user', content: 'hi' }, { role: 'assistant', content: '' }, { role: 'user', content: [] }));
    expect(body.contents).toEqual([{ role: 'user', parts: [{ text: 'hi' }] }]);
  });

  it('refuses a system message with an image (Gemini system instructions are text), or drops the image', () => {
    const system: ChatMessage = { role: 'system', content: [{ type: 'text', text: 'rules' }, { type: 'image_url', image_url: { url: 'https://x.test/a.png' } }] };
    expect(refusal(() => translate(messages(system, { role: 'user', content: 'hi' })))).toMatchObject({ status: 400, param: 'messages[0].content', provider: 'gem' });
    expect(translate(messages(system, { role: 'user', content: 'hi' }), 'drop').systemInstruction).toEqual({ parts: [{ text: 'rules' }] });
  });
});

describe('content parts', () => {
  const user = (...content: Array<Record<string, unknown>>) => messages({ role: 'user', content });

  it('sends text parts as text parts', () => {
    expect(translate(user({ type: 'text', text: 'a' }, { type: 'text', text: 'b' })).contents[0]?.parts).toEqual([{ text: 'a' }, { text: 'b' }]);
  });

  it('sends an image given as a data URL as inlineData', () => {
    const parts = translate(user({ type: 'text', text: 'What is this?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=', detail: 'high' } })).contents[0]?.parts;
    expect(parts).toEqual([{ text: 'What is this?' }, { inlineData: { mimeType: 'image/png', data: 'iVBORw0KGgo=' } }]);
  });

  it('sends an image URL as fileData, with a MIME type guessed from the extension', () => {
    const parts = translate(
      user(
        { type: 'image_url', image_url: { url: 'https://img.test/cat.webp?size=large#top' } },
        { type: 'image_url', image_url: { url: 'https://img.test/photo.JPG' } },
        { type: 'image_url', image_url: { url: 'https://img.test/render?id=4' } },
      ),
    ).contents[0]?.parts;
    expect(parts).toEqual([
      { fileData: { fileUri: 'https://img.test/cat.webp?size=large#top', mimeType: 'image/webp' } },
      { fileData: { fileUri: 'https://img.test/photo.JPG', mimeType: 'image/jpeg' } },
      // No extension: Gemini needs a type all the same; JPEG is the likeliest.
      { fileData: { fileUri: 'https://img.test/render?id=4', mimeType: 'image/jpeg' } },
    ]);
  });

  it('guesses the common image and document types', () => {
    expect(['a.png', 'a.gif', 'a.heic', 'a.pdf', 'a.jpeg', 'a'].map((f) => guessMimeType(`https://x.test/${f}`))).toEqual(['image/png', 'image/gif', 'image/heic', 'application/pdf', 'image/jpeg', 'image/jpeg']);
  });

  it('refuses an image that is neither a data URL nor a URL', () => {
    expect(refusal(() => translate(user({ type: 'image_url', image_url: { url: 'file:///etc/passwd' } })))).toMatchObject({ status: 400, param: 'messages[0].content[0]' });
  });

  it('sends audio and files given inline as inlineData', () => {
    const parts = translate(
      user(
        { type: 'input_audio', input_audio: { data: 'UklGRg==', format: 'wav' } },
        { type: 'input_audio', input_audio: { data: 'SUQz', format: 'mp3' } },
        { type: 'file', file: { filename: 'a.pdf', file_data: 'data:application/pdf;base64,JVBERi0=' } },
      ),
    ).contents[0]?.parts;
    expect(parts).toEqual([
      { inlineData: { mimeType: 'audio/wav', data: 'UklGRg==' } },
      { inlineData: { mimeType: 'audio/mp3', data: 'SUQz' } },
      { inlineData: { mimeType: 'application/pdf', data: 'JVBERi0=' } },
    ]);
  });

  it('refuses a file id (OpenAI storage Gemini cannot read) or an unknown part, or drops them', () => {
    const body = user({ type: 'text', text: 'see' }, { type: 'file', file: { file_id: 'file-abc' } }, { type: 'video_url', video_url: 'x' });
    const error = refusal(() => translate(body));
    expect(error).toMatchObject({ status: 400, code: 'unsupported_parameter', provider: 'gem', param: 'messages[0].content[1]' });
    expect(error.message).toMatch(/^gem does not support/);
    expect(translate(body, 'drop').contents[0]?.parts).toEqual([{ text: 'see' }]);
  });
});

describe('tools', () => {
  it('declares function tools with their JSON Schema as parametersJsonSchema, minus $schema', () => {
    const body = translate({ tools: [weatherTool, timeTool, { type: 'function', function: { name: 'ping' } }] });
    expect(body.tools).toEqual([
      {
        functionDeclarations: [
          {
            name: 'get_weather',
            description: 'Weather in a city',
            // additionalProperties is JSON Schema, which parametersJsonSchema accepts as it is.
            parametersJsonSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false },
          },
          { name: 'get_time', parametersJsonSchema: { type: 'object', properties: { city: { type: 'string' } } } },
          { name: 'ping' },
        ],
      },
    ]);
    expect(body.toolConfig).toBeUndefined();
  });

  it.each([
    ['auto', { mode: 'AUTO' }],
    ['none', { mode: 'NONE' }],
    ['required', { mode: 'ANY' }],
    [{ type: 'function', function: { name: 'get_time' } }, { mode: 'ANY', allowedFunctionNames: ['get_time'] }],
  ])('turns tool_choice %j into functionCallingConfig %j', (choice, config) => {
    expect(translate({ tools: [weatherTool, timeTool], tool_choice: choice }).toolConfig).toEqual({ functionCallingConfig: config });
  });

  it('refuses a tool_choice it cannot express', () => {
    expect(refusal(() => translate({ tools: [weatherTool], tool_choice: { type: 'custom' } }))).toMatchObject({ status: 400, param: 'tool_choice' });
  });

  it('refuses non-function tools, or drops them', () => {
    const tools = [{ type: 'web_search' }, weatherTool];
    expect(refusal(() => translate({ tools }))).toMatchObject({ status: 400, param: 'tools[0]', code: 'unsupported_parameter' });
    expect(translate({ tools }, 'drop').tools?.[0]?.functionDeclarations?.map((d) => d.name)).toEqual(['get_weather']);
  });

  it('sends an assistant turn with parallel tool calls as one model turn: its text, then one functionCall per call', () => {
    const body = translate(
      messages(
        { role: 'user', content: 'Weather and time in Paris?' },
        {
          role: 'assistant',
          content: 'Let me check.',
          tool_calls: [
            { id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' }, extra_content: { google: { thought_signature: 'c2ln' } } },
            { id: 'call_b', type: 'function', function: { name: 'get_time', arguments: '' } },
          ],
        },
      ),
    );
    expect(body.contents[1]).toEqual({
      role: 'model',
      parts: [
        { text: 'Let me check.' },
        // The thought signature Gemini gave this call goes back with it (Gemini 3 requires it).
        { functionCall: { id: 'call_a', name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: 'c2ln' },
        { functionCall: { id: 'call_b', name: 'get_time', args: {} } },
      ],
    });
  });

  it('gives back no id it made up itself for a call Gemini sent without one', () => {
    const made = 'call_0123456789abcdef01234567';
    const body = translate(
      messages(
        { role: 'user', content: 'go' },
        { role: 'assistant', content: null, tool_calls: [{ id: made, type: 'function', function: { name: 'f', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: made, content: 'done' },
      ),
    );
    expect(body.contents[1]?.parts[0]?.functionCall).toEqual({ name: 'f', args: {} });
    expect(body.contents[2]?.parts[0]?.functionResponse).toEqual({ name: 'f', response: { result: 'done' } });
  });

  it('sends consecutive tool results as functionResponse parts of one user turn, named after the call they answer', () => {
    const body = translate(
      messages(
        { role: 'user', content: 'Weather and time in Paris?' },
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
            { id: 'call_b', type: 'function', function: { name: 'get_time', arguments: '{"city":"Paris"}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'call_b', content: '14:00' },
        { role: 'tool', tool_call_id: 'call_a', content: '{"temperature":21,"unit":"C"}' },
        { role: 'user', content: 'Thanks!' },
      ),
    );
    expect(body.contents.slice(2)).toEqual([
      {
        role: 'user',
        parts: [
          // Plain text is wrapped; a JSON object is the response itself.
          // Each with the id of the call it answers, as Gemini matches them (FunctionResponse.id).
          { functionResponse: { id: 'call_b', name: 'get_time', response: { result: '14:00' } } },
          { functionResponse: { id: 'call_a', name: 'get_weather', response: { temperature: 21, unit: 'C' } } },
        ],
      },
      { role: 'user', parts: [{ text: 'Thanks!' }] },
    ]);
  });

  it('matches a reused tool call id to the latest call that had it', () => {
    const call = (name: string) => ({ role: 'assistant' as const, content: null, tool_calls: [{ id: 'call_0', type: 'function' as const, function: { name, arguments: '{}' } }] });
    const body = translate(messages({ role: 'user', content: 'go' }, call('first'), { role: 'tool', tool_call_id: 'call_0', content: '[1,2]' }, call('second'), { role: 'tool', tool_call_id: 'call_0', content: 'null' }));
    expect(body.contents.map((c) => c.parts[0]?.functionResponse)).toEqual([undefined, undefined, { id: 'call_0', name: 'first', response: { result: [1, 2] } }, undefined, { id: 'call_0', name: 'second', response: { result: null } }]);
  });

  it('refuses a tool result that answers no earlier call, and tool call arguments that are not a JSON object', () => {
    expect(refusal(() => translate(messages({ role: 'user', content: 'x' }, { role: 'tool', tool_call_id: 'call_zz', content: 'r' })))).toMatchObject({ status: 400, param: 'messages[1].tool_call_id' });
    const bad = (args: string) => messages({ role: 'user', content: 'x' }, { role: 'assistant', content: null, tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: args } }] });
    expect(refusal(() => translate(bad('{nope')))).toMatchObject({ status: 400, param: 'messages[1].tool_calls[0].function.arguments' });
    expect(refusal(() => translate(bad('[1]')))).toMatchObject({ status: 400, param: 'messages[1].tool_calls[0].function.arguments' });
  });
});

describe('output and sampling settings', () => {
  it('maps the sampling settings to generationConfig', () => {
    const body = translate({ temperature: 0.3, top_p: 0.9, top_k: 40, seed: 7, presence_penalty: 0.5, frequency_penalty: -0.5, max_tokens: 100, n: 2, stop: 'END' });
    expect(body.generationConfig).toEqual({ temperature: 0.3, topP: 0.9, topK: 40, seed: 7, presencePenalty: 0.5, frequencyPenalty: -0.5, maxOutputTokens: 100, candidateCount: 2, stopSequences: ['END'] });
  });

  it('prefers max_completion_tokens over max_tokens, takes stop as a list, and leaves n = 1 out', () => {
    expect(translate({ max_completion_tokens: 50, max_tokens: 999, stop: ['a', 'b'], n: 1 }).generationConfig).toEqual({ maxOutputTokens: 50, stopSequences: ['a', 'b'] });
    expect(translate({ max_tokens: 999, max_completion_tokens: 50 }).generationConfig).toEqual({ maxOutputTokens: 50 });
  });

  it('leaves out null fields and fields that change nothing about the answer', () => {
    expect(translate({ temperature: null, stream: true, stream_options: { include_usage: true }, user: 'u1', store: false, metadata: { a: '1' } })).toEqual({
      contents: [{ role: 'user', parts: [{ text: 'hi' }] }],
    });
  });

  it('asks for JSON with response_format json_object, and for a schema with json_schema', () => {
    expect(translate({ response_format: { type: 'json_object' } }).generationConfig).toEqual({ responseMimeType: 'application/json' });
    const schema = { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object', properties: { answer: { type: 'integer' } }, required: ['answer'], additionalProperties: false };
    expect(translate({ response_format: { type: 'json_schema', json_schema: { name: 'answer', strict: true, schema } } }).generationConfig).toEqual({
      responseMimeType: 'application/json',
      responseJsonSchema: { type: 'object', properties: { answer: { type: 'integer' } }, required: ['answer'], additionalProperties: false },
    });
    expect(translate({ response_format: { type: 'text' } }).generationConfig).toBeUndefined();
  });

  it.each([
    ['low', { thinkingBudget: 1024, includeThoughts: true }],
    ['medium', { thinkingBudget: 8192, includeThoughts: true }],
    ['high', { thinkingBudget: 24_576, includeThoughts: true }],
    ['minimal', { thinkingBudget: 512, includeThoughts: true }],
    ['none', { thinkingBudget: 0 }],
  ])('turns reasoning_effort %s into thinkingConfig %j', (effort, thinkingConfig) => {
    expect(translate({ reasoning_effort: effort }).generationConfig).toEqual({ thinkingConfig });
  });

  it('asks for log probabilities with logprobs, and for alternatives with top_logprobs', () => {
    expect(translate({ logprobs: true, top_logprobs: 3 }).generationConfig).toEqual({ responseLogprobs: true, logprobs: 3 });
    expect(translate({ logprobs: false, top_logprobs: 3 }).generationConfig).toBeUndefined();
  });
});

describe('unsupported parameters', () => {
  it.each([
    ['logit_bias', { logit_bias: { '50256': -100 } }],
    ['reasoning_effort', { reasoning_effort: 'extreme' }],
    ['modalities', { modalities: ['text', 'audio'] }],
    ['response_format', { response_format: { type: 'grammar' } }],
    ['web_search_options', { web_search_options: {} }],
  ])('refuses %s with a 400 naming the provider and the parameter', (param, extra) => {
    const error = refusal(() => translate(extra));
    expect(error).toMatchObject({ status: 400, kind: 'invalid_request', code: 'unsupported_parameter', param, provider: 'gem', retryable: false });
    expect(error.message).toContain(`gem does not support '${param}'`);
  });

  it('leaves them out under unsupportedParams: drop', () => {
    const body = translate({ logit_bias: { '1': 5 }, parallel_tool_calls: false, reasoning_effort: 'extreme', modalities: ['audio'], web_search_options: {}, temperature: 1 }, 'drop');
    expect(body).toEqual({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }], generationConfig: { temperature: 1 } });
  });

  it('accepts what it can honour: parallel_tool_calls true, an empty logit_bias, text modalities', () => {
    expect(translate({ parallel_tool_calls: true, logit_bias: {}, modalities: ['text'] }).generationConfig).toBeUndefined();
  });

  it('accepts parallel_tool_calls false, which the answer keeps (test/e2e/gemini-one-tool-call.test.ts)', () => {
    expect(translate({ parallel_tool_calls: false })).toEqual({ contents: [{ role: 'user', parts: [{ text: 'hi' }] }] });
  });
});
