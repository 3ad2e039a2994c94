/** Requests between OpenAI's and Anthropic's formats, both ways, field by field. */
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../../core/errors.js';
import { toAnthropicRequest } from '../../../../plugins/anthropic/protocol/from-openai-request.js';
import { toOpenAIRequest } from '../../../../plugins/anthropic/protocol/to-openai-request.js';
import type { AnthropicRequest } from '../../../../plugins/anthropic/protocol/types.js';
import type { ChatCompletionRequest } from '../../../../core/protocol/openai.js';

const options = { provider: 'claude', policy: 'error' as const, defaultMaxTokens: 4096 };
const to = (request: Partial<ChatCompletionRequest>, policy: 'error' | 'drop' = 'error') =>
  toAnthropicRequest({ model: 'm', messages: [{ role: 'user', content: 'hi' }], ...request }, { ...options, policy });

function thrown(run: () => unknown): GatewayError {
  try {
    run();
  } catch (error) {
    return error as GatewayError;
  }
  throw new Error('expected an error');
}

describe('OpenAI → Anthropic', () => {
  it('gathers system and developer messages into system, and merges consecutive turns of one role', () => {
    const { body } = to({
      messages: [
        { role: 'system', content: 'a' },
        { role: 'developer', content: [{ type: 'text', text: 'b', cache_control: { type: 'ephemeral' } }] },
        { role: 'user', content: 'one' },
        { role: 'user', content: 'two' },
      ],
    });
    expect(body.system).toEqual([{ type: 'text', text: 'a' }, { type: 'text', text: 'b', cache_control: { type: 'ephemeral' } }]);
    expect(body.messages).toEqual([{ role: 'user', content: [{ type: 'text', text: 'one' }, { type: 'text', text: 'two' }] }]);
  });

  it('puts thinking blocks first and verbatim, then text, then tool calls; tool results become one user turn', () => {
    const { body } = to({
      messages: [
        { role: 'user', content: 'q' },
        {
          role: 'assistant',
          content: 'let me check',
          thinking_blocks: [{ type: 'thinking', thinking: 'hmm', signature: 'sig' }, { type: 'redacted_thinking', data: 'xyz' }],
          tool_calls: [
            { id: 'c1', type: 'function', function: { name: 'a', arguments: '{"x":1}' } },
            { id: 'c2', type: 'function', function: { name: 'b', arguments: '' } },
          ],
        },
        { role: 'tool', tool_call_id: 'c1', content: 'one' },
        { role: 'tool', tool_call_id: 'c2', content: [{ type: 'text', text: 'two' }] },
      ],
    });
    expect(body.messages[1]).toEqual({
      role: 'assistant',
      content: [
        { type: 'thinking', thinking: 'hmm', signature: 'sig' },
        { type: 'redacted_thinking', data: 'xyz' },
        { type: 'text', text: 'let me check' },
        { type: 'tool_use', id: 'c1', name: 'a', input: { x: 1 } },
        { type: 'tool_use', id: 'c2', name: 'b', input: {} },
      ],
    });
    expect(body.messages[2]).toEqual({
      role: 'user',
      content: [
        { type: 'tool_result', tool_use_id: 'c1', content: 'one' },
        { type: 'tool_result', tool_use_id: 'c2', content: [{ type: 'text', text: 'two' }] },
      ],
    });
  });

  it('maps sampling, stop, tools and tool_choice', () => {
    const { body } = to({
      max_completion_tokens: 50,
      temperature: 0.5,
      top_p: 0.9,
      stop: ['x', 'y'],
      tools: [{ type: 'function', function: { name: 'f', description: 'd', parameters: { type: 'object', properties: { a: { type: 'string' } } } } }],
      tool_choice: { type: 'function', function: { name: 'f' } },
      parallel_tool_calls: false,
      stream: true,
      stream_options: { include_usage: true },
    });
    expect(body).toMatchObject({
      max_tokens: 50,
      temperature: 0.5,
      top_p: 0.9,
      stop_sequences: ['x', 'y'],
      stream: true,
      tools: [{ name: 'f', description: 'd', input_schema: { type: 'object', properties: { a: { type: 'string' } } } }],
      tool_choice: { type: 'tool', name: 'f', disable_parallel_tool_use: true },
    });
    expect(body).not.toHaveProperty('stream_options');
    expect(to({ tool_choice: 'none' }).body.tool_choice).toEqual({ type: 'none' });
    expect(to({ tool_choice: 'auto' }).body.tool_choice).toEqual({ type: 'auto' });
  });

  it('turns reasoning_effort into a thinking budget that leaves room for the answer', () => {
    expect(to({ reasoning_effort: 'medium', max_tokens: 1000 }).body).toMatchObject({ thinking: { type: 'enabled', budget_tokens: 4096 }, max_tokens: 5096 });
    expect(to({ reasoning_effort: 'low' }).body).toMatchObject({ thinking: { budget_tokens: 1024 }, max_tokens: 4096 });
    expect(to({ reasoning_effort: 'minimal' }).body).not.toHaveProperty('thinking');
  });

  it('asks for JSON through a forced tool', () => {
    const call = to({ response_format: { type: 'json_object' } });
    expect(call.jsonTool).toBe('json_response');
    expect(call.body.tool_choice).toEqual({ type: 'tool', name: 'json_response' });
    expect(call.body.tools?.[0]).toMatchObject({ name: 'json_response', input_schema: { type: 'object' } });
    expect(to({ response_format: { type: 'text' } }).jsonTool).toBeUndefined();
  });

  it.each([
    ['n', { n: 3 }],
    ['logprobs', { logprobs: true }],
    ['presence_penalty', { presence_penalty: 1 }],
    ['seed', { seed: 7 }],
    ['messages[0].content[0]', { messages: [{ role: 'user' as const, content: [{ type: 'input_audio', input_audio: { data: 'x', format: 'wav' } }] }] }],
  ])('refuses %s with a 400 naming provider and parameter, or drops it when told to', (param, request) => {
    const error = thrown(() => to(request));
    expect(error).toBeInstanceOf(GatewayError);
    expect(error).toMatchObject({ status: 400, param, provider: 'claude', code: 'unsupported_parameter', retryable: false });
    expect(error.message).toContain('claude');
    expect(() => to(request, 'drop')).not.toThrow();
  });

  it('passes n=1, logprobs=false and OpenAI-only bookkeeping fields without complaint', () => {
    expect(() => to({ n: 1, logprobs: false, store: false, metadata: { a: '1' }, service_tier: 'auto' })).not.toThrow();
  });
});

describe('Anthropic → OpenAI', () => {
  it('turns system blocks, images, documents and the sampling fields into an OpenAI request', () => {
    const { request, losses } = toOpenAIRequest({
      model: 'x/y',
      max_tokens: 10,
      system: [{ type: 'text', text: 'sys', cache_control: { type: 'ephemeral' } }],
      temperature: 0.3,
      top_k: 4,
      stop_sequences: ['S'],
      metadata: { user_id: 'u' },
      stream: true,
      messages: [
        {
          role: 'user',
          content: [
            { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: 'AAA' } },
            { type: 'image', source: { type: 'url', url: 'https://x.test/a.png' } },
            { type: 'document', source: { type: 'base64', media_type: 'application/pdf', data: 'PDF' } },
            { type: 'text', text: 'what is this?' },
          ],
        },
      ],
    });
    expect(losses).toEqual([]);
    expect(request).toEqual({
      model: 'x/y',
      max_tokens: 10,
      stream: true,
      temperature: 0.3,
      top_k: 4,
      stop: ['S'],
      user: 'u',
      messages: [
        { role: 'system', content: [{ type: 'text', text: 'sys', cache_control: { type: 'ephemeral' } }] },
        {
          role: 'user',
          content: [
            { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,AAA' } },
            { type: 'image_url', image_url: { url: 'https://x.test/a.png' } },
            { type: 'file', file: { filename: 'document.pdf', file_data: 'data:application/pdf;base64,PDF' } },
            { type: 'text', text: 'what is this?' },
          ],
        },
      ],
    });
  });

  it('puts tool results before the rest of the user turn, and flags tool errors', () => {
    const { request } = toOpenAIRequest({
      model: 'm',
      max_tokens: 10,
      messages: [
        { role: 'assistant', content: [{ type: 'thinking', thinking: 't', signature: 's' }, { type: 'tool_use', id: 'tu1', name: 'f', input: { a: 1 } }] },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'and also' },
            { type: 'tool_result', tool_use_id: 'tu1', content: 'boom', is_error: true },
          ],
        },
      ],
    });
    expect(request.messages).toEqual([
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'tu1', type: 'function', function: { name: 'f', arguments: '{"a":1}' } }],
        thinking_blocks: [{ type: 'thinking', thinking: 't', signature: 's' }],
        reasoning_content: 't',
      },
      { role: 'tool', tool_call_id: 'tu1', content: '[tool error] boom' },
      { role: 'user', content: 'and also' },
    ]);
  });

  it('maps tool_choice and thinking', () => {
    const base = { model: 'm', max_tokens: 10, messages: [{ role: 'user' as const, content: 'x' }], tools: [{ name: 'f', input_schema: { type: 'object' } }] };
    const view = (extra: Partial<AnthropicRequest>) => toOpenAIRequest({ ...base, ...extra }).request;
    expect(view({ tool_choice: { type: 'any', disable_parallel_tool_use: true } })).toMatchObject({ tool_choice: 'required', parallel_tool_calls: false });
    expect(view({ tool_choice: { type: 'tool', name: 'f' } }).tool_choice).toEqual({ type: 'function', function: { name: 'f' } });
    expect(view({ thinking: { type: 'enabled', budget_tokens: 10_000 } }).reasoning_effort).toBe('high');
    expect(view({ thinking: { type: 'enabled', budget_tokens: 1024 } }).reasoning_effort).toBe('low');
  });

  it("keeps system messages inside the conversation as system messages, in place (Claude Code 2.1 sends them)", () => {
    const { request, losses } = toOpenAIRequest({
      model: 'm',
      max_tokens: 10,
      system: 'top',
      messages: [
        { role: 'user', content: [{ type: 'text', text: 'say pong' }] },
        { role: 'system', content: [{ type: 'text', text: '# Environment', cache_control: { type: 'ephemeral' } }] },
        { role: 'developer', content: 'be terse' },
      ],
    });
    expect(losses).toEqual([]);
    expect(request.messages).toEqual([
      { role: 'system', content: 'top' },
      { role: 'user', content: 'say pong' },
      { role: 'system', content: [{ type: 'text', text: '# Environment', cache_control: { type: 'ephemeral' } }] },
      { role: 'system', content: 'be terse' },
    ]);
  });

  it('never refuses: what OpenAI cannot express is left out and reported, settings it has no word for are left out quietly', () => {
    const { request, losses } = toOpenAIRequest({
      model: 'm',
      max_tokens: 10,
      tools: [{ type: 'web_search_20250305', name: 'web_search' }, { name: 'Bash', input_schema: { type: 'object' }, defer_loading: true }],
      context_management: { edits: [{ type: 'clear_thinking_20251015', keep: 'all' }] },
      output_config: { effort: 'medium' },
      thinking: { type: 'adaptive', display: 'omitted' },
      messages: [
        { role: 'user', content: [{ type: 'search_result', source: 's', title: 't', content: [] } as never, { type: 'text', text: 'q' }] },
        { role: 'narrator', content: 'once upon a time' },
        { role: 'assistant', content: [{ type: 'server_tool_use', id: 's1', name: 'web_search', input: {} } as never, { type: 'text', text: 'a' }] },
      ],
    });
    expect(losses).toEqual([
      { param: 'messages.0.content.0', why: "content of type 'search_result' is only available with an Anthropic provider", kind: 'content' },
      { param: 'messages.1.role', why: "a message with the role 'narrator' has no equivalent", kind: 'content' },
      { param: 'messages.2.content.0', why: "content of type 'server_tool_use' is only available with an Anthropic provider", kind: 'content' },
      { param: 'tools.0', why: "the server tool 'web_search_20250305' is only available with an Anthropic provider", kind: 'tool' },
    ]);
    expect(request.messages).toEqual([
      { role: 'user', content: 'q' },
      { role: 'assistant', content: 'a' },
    ]);
    expect(request.tools).toEqual([{ type: 'function', function: { name: 'Bash', parameters: { type: 'object' } } }]);
    expect(request).not.toHaveProperty('context_management');
    expect(request).not.toHaveProperty('output_config');
  });
});
