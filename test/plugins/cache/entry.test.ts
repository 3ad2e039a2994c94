/** Streams and whole answers turn into each other without losing content, tool calls, reasoning or usage. */
import { describe, expect, it } from 'vitest';
import { assemble, chunksOf, responseFrom, storable, type CacheEntry } from '../../../plugins/cache/entry.js';
import type { ChatCompletion, ChatCompletionChunk } from '../../../index.js';

const head = { id: 'c1', object: 'chat.completion.chunk' as const, created: 1, model: 'm' };
const chunk = (delta: Record<string, unknown>, finish: string | null = null): ChatCompletionChunk => ({ ...head, choices: [{ index: 0, delta, finish_reason: finish }] });

const completion: ChatCompletion = {
  id: 'c1',
  object: 'chat.completion',
  created: 1,
  model: 'm',
  choices: [
    {
      index: 0,
      message: {
        role: 'assistant',
        content: 'Checking.',
        reasoning_content: 'The user wants weather.',
        tool_calls: [
          { id: 'a', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
          { id: 'b', type: 'function', function: { name: 'time', arguments: '{}' } },
        ],
      },
      finish_reason: 'tool_calls',
    },
  ],
  usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 },
};

describe('entries', () => {
  it('assembles what chunksOf cut', () => {
    expect(assemble(chunksOf(completion))).toEqual(completion);
  });

  it('assembles tool call pieces and reasoning from a real-looking stream', () => {
    const chunks = [
      chunk({ role: 'assistant', content: '' }),
      chunk({ reasoning_content: 'The user ' }),
      chunk({ reasoning_content: 'wants weather.' }),
      chunk({ content: 'Check' }),
      chunk({ content: 'ing.' }),
      chunk({ tool_calls: [{ index: 0, id: 'a', type: 'function', function: { name: 'weather', arguments: '{"city"' } }] }),
      chunk({ tool_calls: [{ index: 1, id: 'b', type: 'function', function: { name: 'time', arguments: '{}' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { arguments: ':"Paris"}' } }] }),
      chunk({}, 'tool_calls'),
      { ...head, choices: [], usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 } },
    ];
    expect(assemble(chunks)).toEqual(completion);
  });

  it('keeps only complete, unfiltered answers', () => {
    expect(storable(completion)).toBe(true);
    expect(storable(assemble([chunk({ content: 'cut' })]))).toBe(false);
    expect(storable(assemble([chunk({ content: 'no' }, 'content_filter')]))).toBe(false);
    expect(storable(assemble([]))).toBe(false);
  });

  it('replays the stored chunks, adding a usage chunk from the whole answer when the stream had none', async () => {
    const chunks = [chunk({ role: 'assistant', content: 'hi' }), chunk({}, 'stop')];
    const entry: CacheEntry = { v: 1, operation: 'chat', createdAt: 0, expiresAt: 1, model: 'm', scope: 'global', chunks, completion: { ...assemble(chunks), usage: completion.usage! } };
    const response = responseFrom(entry, true);
    expect(response.kind).toBe('stream');
    const replayed: ChatCompletionChunk[] = [];
    if (response.kind === 'stream') for await (const c of response.chunks) replayed.push(c);
    expect(replayed.slice(0, 2)).toEqual(chunks);
    expect(replayed[2]).toMatchObject({ choices: [], usage: completion.usage });
    // What is replayed is a copy: a plugin that changes it does not change the entry.
    replayed[0]!.choices[0]!.delta.content = 'changed';
    expect(entry.chunks![0]!.choices[0]!.delta.content).toBe('hi');
  });
});
