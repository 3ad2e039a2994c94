/**
 * The Responses request → OpenAI chat request translation, as tables of cases: what each input item,
 * tool and setting becomes, and what is reported as lost (and of which kind).
 */
import { describe, expect, it } from 'vitest';
import { encodeReasoning } from '../../../plugins/responses/protocol/reasoning.js';
import { toChatRequest, type PlacedItem } from '../../../plugins/responses/protocol/to-chat-request.js';
import type { ResponseInputItem, ResponsesRequest } from '../../../plugins/responses/protocol/types.js';

const translate = (request: Partial<ResponsesRequest>, items: ResponseInputItem[] = []) => {
  const placed: PlacedItem[] = items.map((item, index) => ({ item, at: `input.${index}` }));
  return toChatRequest({ model: 'm', ...request }, placed);
};

const fn = (name: string, extra: Record<string, unknown> = {}) => ({ type: 'function' as const, name, parameters: { type: 'object', properties: {} }, strict: false, ...extra });

describe('input items → messages', () => {
  it.each<[string, ResponseInputItem[], unknown[]]>([
    ['a user message with a string', [{ role: 'user', content: 'hi' }], [{ role: 'user', content: 'hi' }]],
    ['input_text parts, one → a string', [{ type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }] }], [{ role: 'user', content: 'hi' }]],
    [
      'several parts stay parts',
      [{ role: 'user', content: [{ type: 'input_text', text: 'a' }, { type: 'input_text', text: 'b' }] }],
      [{ role: 'user', content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] }],
    ],
    ['developer and system → system', [{ role: 'developer', content: 'rules' }, { role: 'system', content: [{ type: 'input_text', text: 'more' }] }], [{ role: 'system', content: 'rules' }, { role: 'system', content: 'more' }]],
    [
      'an image by URL, with its detail',
      [{ role: 'user', content: [{ type: 'input_image', image_url: 'https://x/cat.png', detail: 'high' }] }],
      [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://x/cat.png', detail: 'high' } }] }],
    ],
    [
      'an image as a data URL, detail auto left to the default',
      [{ role: 'user', content: [{ type: 'input_image', image_url: 'data:image/png;base64,AAA', detail: 'auto' }] }],
      [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,AAA' } }] }],
    ],
    [
      'a file with its data',
      [{ role: 'user', content: [{ type: 'input_file', filename: 'a.pdf', file_data: 'data:application/pdf;base64,JVBER' }] }],
      [{ role: 'user', content: [{ type: 'file', file: { file_data: 'data:application/pdf;base64,JVBER', filename: 'a.pdf' } }] }],
    ],
    ['an assistant message of output_text', [{ type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'ok', annotations: [] }] }], [{ role: 'assistant', content: 'ok' }]],
    ['an assistant refusal → its text', [{ role: 'assistant', content: [{ type: 'refusal', refusal: 'no' }] }], [{ role: 'assistant', content: 'no' }]],
    [
      'consecutive calls → one assistant turn; outputs → tool messages',
      [
        { type: 'function_call', call_id: 'c1', name: 'a', arguments: '{}' },
        { type: 'function_call', call_id: 'c2', name: 'b', arguments: '{"x":1}' },
        { type: 'function_call_output', call_id: 'c1', output: 'A' },
        { type: 'function_call_output', call_id: 'c2', output: [{ type: 'input_text', text: 'B' }] },
      ],
      [
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'c1', type: 'function', function: { name: 'a', arguments: '{}' } },
            { id: 'c2', type: 'function', function: { name: 'b', arguments: '{"x":1}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'c1', content: 'A' },
        { role: 'tool', tool_call_id: 'c2', content: 'B' },
      ],
    ],
    [
      'an assistant message followed by a call → one turn',
      [{ role: 'assistant', content: 'let me look' }, { type: 'function_call', call_id: 'c1', name: 'a', arguments: '{}' }],
      [{ role: 'assistant', content: 'let me look', tool_calls: [{ id: 'c1', type: 'function', function: { name: 'a', arguments: '{}' } }] }],
    ],
    [
      'a user message between calls starts a new turn',
      [{ type: 'function_call', call_id: 'c1', name: 'a', arguments: '{}' }, { role: 'user', content: 'wait' }, { type: 'function_call', call_id: 'c2', name: 'a', arguments: '{}' }],
      [
        { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'a', arguments: '{}' } }] },
        { role: 'user', content: 'wait' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c2', type: 'function', function: { name: 'a', arguments: '{}' } }] },
      ],
    ],
    [
      'reasoning → the next assistant turn\'s reasoning_content',
      [{ type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: 'think' }] }, { role: 'assistant', content: 'done' }],
      [{ role: 'assistant', content: 'done', reasoning_content: 'think' }],
    ],
    [
      'the gateway\'s own reasoning → signed thinking blocks again',
      [
        { type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: 't' }], encrypted_content: encodeReasoning({ thinking: [{ type: 'thinking', thinking: 't', signature: 's' }] }) },
        { type: 'function_call', call_id: 'c1', name: 'a', arguments: '{}' },
      ],
      [{ role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'a', arguments: '{}' } }], reasoning_content: 't', thinking_blocks: [{ type: 'thinking', thinking: 't', signature: 's' }] }],
    ],
    [
      'tool calls\' provider data carried by a reasoning item, wherever it is → their extra_content',
      [
        { type: 'function_call', call_id: 'c1', name: 'a', arguments: '{}' },
        { type: 'function_call', call_id: 'c2', name: 'b', arguments: '{}' },
        { type: 'reasoning', id: 'rs_1', summary: [], encrypted_content: encodeReasoning({ toolCalls: { c1: { google: { thought_signature: 'sig-a' } } } }) },
        { type: 'function_call_output', call_id: 'c1', output: 'A' },
      ],
      [
        {
          role: 'assistant',
          content: null,
          tool_calls: [
            { id: 'c1', type: 'function', function: { name: 'a', arguments: '{}' }, extra_content: { google: { thought_signature: 'sig-a' } } },
            { id: 'c2', type: 'function', function: { name: 'b', arguments: '{}' } },
          ],
        },
        { role: 'tool', tool_call_id: 'c1', content: 'A' },
      ],
    ],
    ['reasoning with no turn after it is left out quietly', [{ role: 'user', content: 'q' }, { type: 'reasoning', id: 'rs_1', summary: [], encrypted_content: 'gAAAA-openai-opaque' }], [{ role: 'user', content: 'q' }]],
  ])('%s', (_name, items, messages) => {
    const { request, losses } = translate({}, items);
    expect(request.messages).toEqual(messages);
    expect(losses).toEqual([]);
  });

  it('puts instructions first, as a system message', () => {
    expect(translate({ instructions: 'be brief', input: 'x' }, [{ role: 'user', content: 'x' }]).request.messages).toEqual([
      { role: 'system', content: 'be brief' },
      { role: 'user', content: 'x' },
    ]);
  });

  it.each<[string, ResponseInputItem[], string, string]>([
    ['an image by file id', [{ role: 'user', content: [{ type: 'input_image', file_id: 'file-1', detail: 'auto' }] }], 'input.0.content.0', 'content'],
    ['a file by URL', [{ role: 'user', content: [{ type: 'input_file', file_url: 'https://x/a.pdf' }] }], 'input.0.content.0', 'content'],
    ['an unknown part', [{ role: 'user', content: [{ type: 'input_video', video: 'x' }] }], 'input.0.content.0', 'content'],
    ['an image in a system message', [{ role: 'system', content: [{ type: 'input_image', image_url: 'https://x/a.png' }] }], 'input.0.content', 'content'],
    ['a hosted tool\'s call', [{ type: 'web_search_call', id: 'ws_1', status: 'completed' }], 'input.0', 'content'],
    ['a role chat has not', [{ role: 'critic' as 'user', content: 'x' }], 'input.0.role', 'content'],
  ])('reports %s as a loss', (_name, items, param, kind) => {
    const { losses } = translate({}, items);
    expect(losses).toEqual([expect.objectContaining({ param, kind })]);
  });
});

describe('tools', () => {
  it('maps function tools one to one, with strict', () => {
    const { request } = translate({ tools: [fn('a', { description: 'does a', strict: true })] });
    expect(request.tools).toEqual([{ type: 'function', function: { name: 'a', description: 'does a', parameters: { type: 'object', properties: {} }, strict: true } }]);
  });

  it('flattens a namespace into its functions and reports their calls under it', () => {
    const { request, toolNames } = translate({ tools: [fn('top'), { type: 'namespace', name: 'agents', description: 'sub-agents', tools: [fn('spawn'), fn('top')] }] });
    expect((request.tools as Array<{ function: { name: string } }>).map((t) => t.function.name)).toEqual(['top', 'spawn', 'agents__top']);
    expect(toolNames.responsesName('spawn')).toEqual({ name: 'spawn', namespace: 'agents' });
    expect(toolNames.responsesName('agents__top')).toEqual({ name: 'top', namespace: 'agents' });
    expect(toolNames.responsesName('top')).toEqual({ name: 'top' });
    // A call sent back under its namespace reaches the model under its chat name.
    const back = translate({ tools: [fn('top'), { type: 'namespace', name: 'agents', tools: [fn('top')] }] }, [{ type: 'function_call', call_id: 'c', name: 'top', namespace: 'agents', arguments: '{}' }]);
    expect(back.request.messages[0]?.tool_calls?.[0]?.function.name).toBe('agents__top');
  });

  it.each([['web_search'], ['web_search_preview'], ['file_search'], ['code_interpreter'], ['computer_use_preview'], ['image_generation'], ['mcp'], ['local_shell'], ['custom']])(
    'leaves the hosted tool %s out, as a loss of kind tool',
    (type) => {
      const { request, losses } = translate({ tools: [fn('a'), { type }] });
      expect((request.tools as unknown[]).length).toBe(1);
      expect(losses).toEqual([expect.objectContaining({ param: 'tools.1', kind: 'tool' })]);
    },
  );

  it('reports a custom tool inside a namespace by its place', () => {
    const { losses } = translate({ tools: [{ type: 'namespace', name: 'ns', tools: [fn('a'), { type: 'custom', name: 'patch' }] }] });
    expect(losses).toEqual([expect.objectContaining({ param: 'tools.0.tools.1', kind: 'tool' })]);
  });

  it.each<[string, unknown, unknown, number]>([
    ['auto', 'auto', 'auto', 2],
    ['required', 'required', 'required', 2],
    ['none', 'none', 'none', 2],
    ['a function', { type: 'function', name: 'b' }, { type: 'function', function: { name: 'b' } }, 2],
    ['allowed tools → the listed functions only', { type: 'allowed_tools', mode: 'required', tools: [{ type: 'function', name: 'b' }] }, 'required', 1],
  ])('tool_choice %s', (_name, choice, expected, toolCount) => {
    const { request, losses } = translate({ tools: [fn('a'), fn('b')], tool_choice: choice as ResponsesRequest['tool_choice'] });
    expect(request.tool_choice).toEqual(expected);
    expect((request.tools as unknown[]).length).toBe(toolCount);
    expect(losses).toEqual([]);
  });

  it('reports forcing a hosted tool as content the target cannot honour', () => {
    const { request, losses } = translate({ tools: [fn('a'), { type: 'web_search' }], tool_choice: { type: 'web_search_preview' } });
    expect(request.tool_choice).toBeUndefined();
    expect(losses).toContainEqual(expect.objectContaining({ param: 'tool_choice', kind: 'content' }));
  });

  it('sends no tool_choice when no tool is left', () => {
    const { request } = translate({ tools: [{ type: 'web_search' }], tool_choice: 'auto' });
    expect(request).not.toHaveProperty('tools');
    expect(request).not.toHaveProperty('tool_choice');
  });
});

describe('settings', () => {
  it.each<[string, Partial<ResponsesRequest>, Record<string, unknown>]>([
    ['max_output_tokens → max_tokens', { max_output_tokens: 99 }, { max_tokens: 99 }],
    ['sampling as it is', { temperature: 0.2, top_p: 0.9 }, { temperature: 0.2, top_p: 0.9 }],
    ['reasoning.effort → reasoning_effort', { reasoning: { effort: 'high', summary: 'auto' } }, { reasoning_effort: 'high' }],
    ['text.format json_schema → response_format', { text: { format: { type: 'json_schema', name: 'x', schema: { type: 'object' }, strict: true } } }, { response_format: { type: 'json_schema', json_schema: { name: 'x', schema: { type: 'object' }, strict: true } } }],
    ['text.format json_object', { text: { format: { type: 'json_object' } } }, { response_format: { type: 'json_object' } }],
    // Its usage is asked for by the kernel, on every chat stream (test/e2e/stream-usage-asked-by-kernel.test.ts).
    ['stream', { stream: true }, { stream: true }],
    [
      'what chat has, as it is',
      { parallel_tool_calls: false, user: 'u', metadata: { a: 'b' }, prompt_cache_key: 'k', safety_identifier: 's', service_tier: 'flex' },
      { parallel_tool_calls: false, user: 'u', metadata: { a: 'b' }, prompt_cache_key: 'k', safety_identifier: 's', service_tier: 'flex' },
    ],
  ])('%s', (_name, settings, expected) => {
    const { request, losses } = translate(settings);
    expect(request).toMatchObject(expected);
    expect(losses).toEqual([]);
  });

  it('leaves out what only tunes how OpenAI runs, without a word', () => {
    const { request, losses } = translate({ text: { format: { type: 'text' }, verbosity: 'low' }, truncation: 'auto', include: ['reasoning.encrypted_content'], store: false, max_tool_calls: 3, client_metadata: { a: 'b' }, reasoning: { summary: 'auto' } });
    expect(request).toEqual({ model: 'm', messages: [] });
    expect(losses).toEqual([]);
  });

  it.each([
    ['conversation', { conversation: 'conv_1' }],
    ['prompt', { prompt: { id: 'pmpt_1' } }],
    ['background', { background: true }],
  ])('reports %s as content only OpenAI can honour', (param, settings) => {
    expect(translate(settings).losses).toEqual([expect.objectContaining({ param, kind: 'content' })]);
  });
});
