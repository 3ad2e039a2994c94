import { describe, expect, it } from 'vitest';
import { isMeaningfulChunk, primeStream } from '../../core/stream.js';

const role = { choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] };
const ping = { choices: [] };
const word = { choices: [{ index: 0, delta: { content: 'hi' }, finish_reason: null }] };

async function* from<T>(items: T[], then?: Promise<T>): AsyncGenerator<T> {
  yield* items;
  if (then) yield await then;
}

describe('isMeaningfulChunk', () => {
  it.each<[string, unknown, boolean]>([
    ['a role-only chunk', role, false],
    ['no choices (a ping)', ping, false],
    ['an empty delta', { choices: [{ index: 0, delta: {}, finish_reason: null }] }, false],
    ['content', word, true],
    ['a tool call', { choices: [{ index: 0, delta: { tool_calls: [{ index: 0 }] }, finish_reason: null }] }, true],
    ['reasoning', { choices: [{ index: 0, delta: { reasoning_content: '…' }, finish_reason: null }] }, true],
    ['a finish reason', { choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }, true],
    ['usage', { choices: [], usage: { prompt_tokens: 1 } }, true],
    ['something that is not a chat chunk', 'text', true],
  ])('%s: %s', (_name, chunk, expected) => expect(isMeaningfulChunk(chunk)).toBe(expected));
});

describe('primeStream', () => {
  it('holds preamble until the first meaningful chunk, then replays everything in order', async () => {
    const primed = await primeStream(from([role, ping, word]));
    const seen: unknown[] = [];
    for await (const c of primed) seen.push(c);
    expect(seen).toEqual([role, ping, word]);
  });

  it('a failure during the preamble is a failure of priming', async () => {
    async function* failing() {
      yield role;
      throw new Error('overloaded');
    }
    await expect(primeStream(failing())).rejects.toThrow('overloaded');
  });

  it('commits with the preamble when nothing meaningful comes in time, and the late chunk follows', async () => {
    let release!: (c: typeof word) => void;
    const late = new Promise<typeof word>((resolve) => (release = resolve));
    const primed = await primeStream(from([role], late), { holdMs: 0 });
    const iterator = primed[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toBe(role);
    release(word);
    expect((await iterator.next()).value).toBe(word);
    expect((await iterator.next()).done).toBe(true);
  });

  it('holds at most maxHeld preamble chunks', async () => {
    const primed = await primeStream(from([role, ping, ping, ping, word]), { maxHeld: 2 });
    const seen: unknown[] = [];
    for await (const c of primed) seen.push(c);
    expect(seen).toHaveLength(5);
  });
});
