import { describe, expect, it, vi } from 'vitest';
import { isMeaningfulChunk, primeStream, tapStream } from '../../core/stream.js';

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

  it('a stream primed already is not held again, through taps too (the retry primes inside its loop, the exchange after it)', async () => {
    const primed = await primeStream(from([role, word]));
    expect(await primeStream(primed)).toBe(primed);
    const tapped = tapStream(primed, { chunk: () => undefined });
    expect(await primeStream(tapped)).toBe(tapped);
    const seen: unknown[] = [];
    for await (const c of tapped) seen.push(c);
    expect(seen).toEqual([role, word]);
  });

  it('a preamble committed without a meaningful chunk is not held a second time', async () => {
    let release!: (c: typeof word) => void;
    const late = new Promise<typeof word>((resolve) => (release = resolve));
    const primed = await primeStream(from([role], late), { holdMs: 0 });
    // With the default hold (10 s), a second priming would wait for the late chunk.
    expect(await primeStream(primed)).toBe(primed);
    release(word);
  });

  it('primes again a stream another wrapper may have changed, or one primed with another meaning', async () => {
    const primed = await primeStream(from([role, word]));
    async function* rewrite(chunks: AsyncIterable<unknown>) {
      for await (const c of chunks) yield c;
    }
    const rewritten = rewrite(primed);
    expect(await primeStream(rewritten)).not.toBe(rewritten);
    const custom = await primeStream(from([role, word]), { meaningful: () => true });
    expect(await primeStream(custom)).not.toBe(custom);
  });

  it('holds at most maxHeld preamble chunks', async () => {
    const primed = await primeStream(from([role, ping, ping, ping, word]), { maxHeld: 2 });
    const seen: unknown[] = [];
    for await (const c of primed) seen.push(c);
    expect(seen).toHaveLength(5);
  });
});

describe('tapStream', () => {
  async function* source(items: number[], failAfter?: Error, finished?: { value: boolean }) {
    try {
      for (const item of items) yield item;
      if (failAfter) throw failAfter;
    } finally {
      if (finished) finished.value = true;
    }
  }

  it('shows every chunk as it passes and ends once, before the reader sees the end', async () => {
    const seen: number[] = [];
    const events: string[] = [];
    const tapped = tapStream(source([1, 2, 3]), {
      chunk: (n) => seen.push(n),
      end: async (error) => {
        await new Promise((r) => setTimeout(r, 5));
        events.push(`end ${String(error)}`);
      },
    });
    const read: number[] = [];
    for await (const n of tapped) read.push(n);
    events.push('reader done');
    expect(read).toEqual([1, 2, 3]);
    expect(seen).toEqual([1, 2, 3]);
    expect(events).toEqual(['end undefined', 'reader done']);
  });

  it('ends with the error of a failing source, and the reader gets that error', async () => {
    const failure = new Error('upstream broke');
    const end = vi.fn();
    const tapped = tapStream(source([1], failure), { end });
    await expect(async () => {
      for await (const _ of tapped) void _;
    }).rejects.toBe(failure);
    expect(end).toHaveBeenCalledOnce();
    expect(end).toHaveBeenCalledWith(failure);
  });

  it('lets the source go and ends when the reader stops early (a client that left)', async () => {
    const finished = { value: false };
    const end = vi.fn();
    const tapped = tapStream(source([1, 2, 3], undefined, finished), { end });
    for await (const n of tapped) if (n === 1) break;
    expect(finished.value).toBe(true);
    expect(end).toHaveBeenCalledOnce();
    expect(end).toHaveBeenCalledWith(undefined);
  });

  it('a tap that throws ends the stream with its error and lets the source go', async () => {
    const finished = { value: false };
    const end = vi.fn();
    const oops = new Error('tap failed');
    const tapped = tapStream(source([1, 2, 3], undefined, finished), {
      chunk: (n) => {
        if (n === 2) throw oops;
      },
      end,
    });
    const read: number[] = [];
    await expect(async () => {
      for await (const n of tapped) read.push(n);
    }).rejects.toBe(oops);
    expect(read).toEqual([1]);
    expect(finished.value).toBe(true);
    expect(end).toHaveBeenCalledWith(oops);
  });
});
