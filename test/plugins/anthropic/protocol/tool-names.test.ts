/**
 * Tool names OpenAI or Gemini would refuse (Claude Code's `mcp__<server>__<tool>` past 64
 * characters, a dot), sent as stand-ins from an Anthropic client's request and given back in the
 * answer, whole and streamed.
 */
import { describe, expect, it } from 'vitest';
import { AnthropicEventWriter, toAnthropicMessage } from '../../../../plugins/anthropic/protocol/from-openai-response.js';
import { toOpenAIRequest } from '../../../../plugins/anthropic/protocol/to-openai-request.js';
import type { AnthropicRequest, AnthropicStreamEvent } from '../../../../plugins/anthropic/protocol/types.js';
import type { ChatCompletion, ChatCompletionChunk } from '../../../../core/protocol/openai.js';

const LONG = 'mcp__github_enterprise_server__create_pull_request_review_comment_reply'; // 71
const DOTTED = 'files.read';
/** What both OpenAI's functions and Gemini's declarations take. */
const TAKEN_BY_ALL = /^[a-zA-Z_][a-zA-Z0-9_-]{0,63}$/;

const tool = (name: string) => ({ name, input_schema: { type: 'object', properties: {} } });

function translate(extra: Partial<AnthropicRequest>) {
  return toOpenAIRequest({ model: 'm', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }], ...extra });
}

const sentNames = (request: ReturnType<typeof translate>['request']) => ((request.tools ?? []) as Array<{ function: { name: string } }>).map((t) => t.function.name);

describe('tool names in a translated Anthropic request', () => {
  it('sends names OpenAI takes as they are, with no map', () => {
    const out = translate({ tools: [tool('Bash'), tool('mcp__short__ok-1')], tool_choice: { type: 'tool', name: 'Bash' } });
    expect(sentNames(out.request)).toEqual(['Bash', 'mcp__short__ok-1']);
    expect(out.toolNames).toBeUndefined();
  });

  it('gives a long or dotted name a stand-in, the same in tools, tool_choice and earlier calls, and maps it back', () => {
    const tools = [tool('Bash'), tool(LONG), tool(DOTTED)];
    const out = translate({
      tools,
      tool_choice: { type: 'tool', name: LONG },
      messages: [
        { role: 'user', content: 'review it' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: LONG, input: {} }, { type: 'tool_use', id: 't2', name: DOTTED, input: {} }] },
        { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'done' }, { type: 'tool_result', tool_use_id: 't2', content: 'text' }] },
      ],
    });
    const [bash, long, dotted] = sentNames(out.request);
    expect(bash).toBe('Bash');
    expect(long).toMatch(TAKEN_BY_ALL);
    expect(long).toMatch(new RegExp(`^${LONG.slice(0, 55)}_[0-9a-f]{8}$`));
    expect(dotted).toMatch(/^files_read_[0-9a-f]{8}$/);
    expect(out.request.tool_choice).toEqual({ type: 'function', function: { name: long } });
    const calls = out.request.messages.find((m) => m.role === 'assistant')?.tool_calls?.map((c) => c.function.name);
    expect(calls).toEqual([long, dotted]);
    expect(Object.fromEntries(out.toolNames!)).toEqual({ [long!]: LONG, [dotted!]: DOTTED });
    // The client's request, which an Anthropic upstream receives as written, keeps its names.
    expect(tools.map((t) => t.name)).toEqual(['Bash', LONG, DOTTED]);
    // The next turn sends the same stand-in, as the model saw it in the conversation.
    expect(sentNames(translate({ tools: [tool(LONG)] }).request)).toEqual([long]);
  });

  it('keeps stand-ins apart: names alike for 55 characters, a tool named like a stand-in, a call of a tool no longer offered', () => {
    const other = `${LONG}_and_more`;
    const first = sentNames(translate({ tools: [tool(LONG)] }).request)[0]!;
    const out = translate({
      tools: [tool(first), tool(LONG), tool(other)],
      messages: [{ role: 'assistant', content: [{ type: 'tool_use', id: 't', name: `${other}_gone`, input: {} }] }, { role: 'user', content: 'go on' }],
    });
    const names = [...sentNames(out.request), out.request.messages[0]!.tool_calls![0]!.function.name];
    expect(new Set(names).size).toBe(4);
    expect(names[0]).toBe(first);
    for (const name of names) expect(name).toMatch(TAKEN_BY_ALL);
    expect([...out.toolNames!.values()].sort()).toEqual([LONG, other, `${other}_gone`]);
  });
});

describe('tool names in the answer', () => {
  const out = translate({ tools: [tool(LONG), tool('Bash')] });
  const standIn = sentNames(out.request)[0]!;

  it('gives a whole answer the client names back', () => {
    const completion: ChatCompletion = {
      id: 'c',
      object: 'chat.completion',
      created: 1,
      model: 'u',
      choices: [
        {
          index: 0,
          finish_reason: 'tool_calls',
          logprobs: null,
          message: {
            role: 'assistant',
            content: null,
            tool_calls: [
              { id: 'a', type: 'function', function: { name: standIn, arguments: '{}' } },
              { id: 'b', type: 'function', function: { name: 'Bash', arguments: '{}' } },
            ],
          },
        },
      ],
    };
    const names = toAnthropicMessage(completion, 'm', out.toolNames).content.map((block) => (block.type === 'tool_use' ? block.name : block.type));
    expect(names).toEqual([LONG, 'Bash']);
  });

  it('gives a stream the client names back, for a call streamed and one held behind it', () => {
    const writer = new AnthropicEventWriter('m', out.toolNames);
    const chunk = (delta: ChatCompletionChunk['choices'][number]['delta'], finish: string | null = null): ChatCompletionChunk => ({
      id: 'x',
      object: 'chat.completion.chunk',
      created: 1,
      model: 'u',
      choices: [{ index: 0, delta, finish_reason: finish }],
    });
    const events: AnthropicStreamEvent[] = [
      ...writer.write(chunk({ tool_calls: [{ index: 0, id: 'a', function: { name: 'Bash', arguments: '{' } }] })),
      // Begins while the first call's block is open: held, and sent whole at the end.
      ...writer.write(chunk({ tool_calls: [{ index: 1, id: 'b', function: { name: standIn, arguments: '{}' } }] })),
      ...writer.write(chunk({ tool_calls: [{ index: 0, function: { arguments: '}' } }] })),
      ...writer.write(chunk({ tool_calls: [{ index: 2, id: 'c', function: { name: standIn, arguments: '{}' } }] })),
      ...writer.write(chunk({}, 'tool_calls')),
      ...writer.end(),
    ];
    const started = events.flatMap((e) => (e.type === 'content_block_start' && e.content_block.type === 'tool_use' ? [e.content_block.name] : []));
    expect(started).toEqual(['Bash', LONG, LONG]);
  });
});
