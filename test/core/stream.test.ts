import { describe, expect, it, vi } from 'vitest';
import { isMeaningfulChunk, markPassable, primeStream, tapStream } from '../../core/stream.js';
import { AS_PARSED, type UnparsedChunk } from '../../core/unparsed-preamble.js';
import type { PassThroughHint } from '../../core/providers/provider.js';
import { NEXT_READY, nextReady } from '../../core/stream-ready.js';

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

/** A chunk an adapter left unparsed: its choices read in place, its plain chunk a parse (which may fail). */
class Unparsed implements UnparsedChunk<object> {
  constructor(
    readonly plain: { choices: unknown[] },
    readonly broken = false,
  ) {}
  get choices(): unknown[] {
    return this.plain.choices;
  }
  [AS_PARSED](): object {
    if (this.broken) throw new Error('the stream carried an event that is not JSON');
    return { ...this.plain };
  }
}

/**
 * An adapter's stream over `plains`: each chunk left unparsed while the hint says priming holds it
 * or pass-through is allowed, parsed otherwise; what the hint said at each read is noted.
 */
function adapter(hint: PassThroughHint, plains: Array<{ choices: unknown[] }>, brokenAt = -1) {
  const noted: Array<{ priming: boolean; allowed: boolean }> = [];
  let letGo = false;
  async function* chunks() {
    try {
      for (const [i, plain] of plains.entries()) {
        noted.push({ priming: hint.priming === true, allowed: hint.allowed });
        yield hint.priming === true || hint.allowed ? new Unparsed(plain, i === brokenAt) : plain;
      }
    } finally {
      letGo = true;
    }
  }
  return { chunks: markPassable(chunks(), hint), noted, letGo: () => letGo };
}

const allow = (hint: PassThroughHint) => ((hint as { allowed: boolean }).allowed = true);

describe('primeStream over a stream read in place (a preamble left unparsed while it is held)', () => {
  // Staged: the provider call's observer over an adapter's decoder is one layer; a generator is a layer of its own.
  const layers = {
    staged: (chunks: AsyncIterable<unknown>) => tapStream(chunks, { chunk: (c) => void (c as { choices: unknown }).choices, lazyChunks: true }),
    'a layer of its own': (chunks: AsyncIterable<unknown>) => chunks,
  };

  it.each(Object.entries(layers))('tells the adapter its preamble is held while priming reads it, and no more after (%s)', async (_kind, layer) => {
    const hint: PassThroughHint = { allowed: false };
    const { chunks, noted } = adapter(hint, [role, word, word]);
    const primed = await primeStream(layer(chunks));
    expect(hint.priming).toBe(false);
    const seen: unknown[] = [];
    for await (const c of primed) seen.push(c);
    expect(noted.map((n) => n.priming)).toEqual([true, true, false]);
    // Refused (nothing allowed it): the held ones as their plain chunks, the next one parsed by the adapter.
    expect(seen).toEqual([role, word, word]);
    expect(seen.some((c) => c instanceof Unparsed)).toBe(false);
  });

  it.each(Object.entries(layers))('hands the held chunks on as they are once pass-through is allowed (%s)', async (_kind, layer) => {
    const hint: PassThroughHint = { allowed: false };
    const { chunks } = adapter(hint, [role, word, word]);
    const primed = await primeStream(layer(chunks));
    allow(hint);
    const seen: unknown[] = [];
    for await (const c of primed) seen.push(c);
    expect(seen.map((c) => c instanceof Unparsed)).toEqual([true, true, true]);
  });

  it('gives readers added after priming that keep chunks the plain chunks, where the readers below read them in place', async () => {
    const hint: PassThroughHint = { allowed: false };
    const { chunks } = adapter(hint, [role, word]);
    const below: unknown[] = [];
    const primed = await primeStream(tapStream(chunks, { chunk: (c) => void below.push(c), lazyChunks: true }));
    const kept: unknown[] = [];
    const keeping = tapStream(primed, { chunk: (c) => void kept.push(c) });
    for await (const _ of keeping);
    expect(below.map((c) => c instanceof Unparsed)).toEqual([true, true]);
    expect(kept).toEqual([role, word]);
    expect(kept.some((c) => c instanceof Unparsed)).toBe(false);
  });

  it.each(Object.entries(layers))('fails the stream where a held chunk that does not parse is handed on, letting the source go (%s)', async (_kind, layer) => {
    const hint: PassThroughHint = { allowed: false };
    const { chunks, letGo } = adapter(hint, [role, word, word], 1);
    const ends: unknown[] = [];
    const primed = tapStream(await primeStream(layer(chunks)), { end: (error) => void ends.push(error) });
    const iterator = primed[Symbol.asyncIterator]();
    expect((await iterator.next()).value).toEqual(role);
    await expect(iterator.next()).rejects.toThrow('not JSON');
    expect(letGo()).toBe(true);
    expect(ends).toHaveLength(1);
    expect(String(ends[0])).toMatch(/not JSON/);
  });

  it('leaves the hint alone for a stream a wrapper may copy, for a meaning of a plugin\'s own, and once pass-through is allowed', async () => {
    const hint: PassThroughHint = { allowed: false };
    const wrapped = adapter(hint, [role, word]);
    async function* copying(chunks: AsyncIterable<unknown>) {
      for await (const c of chunks) yield c;
    }
    await primeStream(copying(wrapped.chunks));
    const custom = adapter(hint, [role, word]);
    await primeStream(custom.chunks, { meaningful: (c) => (c as { choices: Array<{ delta: { content?: string } }> }).choices[0]?.delta.content === 'hi' });
    allow(hint);
    const allowed = adapter(hint, [role, word]);
    await primeStream(allowed.chunks);
    expect([...wrapped.noted, ...custom.noted, ...allowed.noted].some((n) => n.priming)).toBe(false);
  });
});

describe('primeStream, items in hand (core/stream-ready.ts)', () => {
  /** A source whose items after the first are all in hand. */
  function inHand<T>(items: T[]): AsyncIterable<T> {
    let next = 0;
    const iterator = {
      next: async (): Promise<IteratorResult<T>> => (next < items.length ? { done: false, value: items[next++]! } : { done: true, value: undefined }),
      [NEXT_READY]: (): IteratorYieldResult<T> | undefined => (next > 0 && next < items.length ? { done: false, value: items[next++]! } : undefined),
    };
    return { [Symbol.asyncIterator]: () => iterator };
  }

  // Staged: a tap over the source is one layer with what priming hands on; a source of another kind gets a layer of its own.
  const layers = {
    staged: (chunks: AsyncIterable<unknown>, seen: unknown[]) => tapStream(chunks, { chunk: (c) => void seen.push(c) }),
    'a layer of its own': (chunks: AsyncIterable<unknown>) => chunks,
  };

  it.each(Object.entries(layers))('hands the held preamble on through next(), then what the source has in hand, in order (%s)', async (kind, layer) => {
    const tapped: unknown[] = [];
    const third = { ...word, n: 3 };
    const primed = (await primeStream(layer(inHand([role, ping, word, word, third]), tapped)))[Symbol.asyncIterator]();
    // Held by priming: role, ping and the first word, each from next().
    expect((await primed.next()).value).toBe(role);
    expect(nextReady(primed)).toBeUndefined();
    expect((await primed.next()).value).toBe(ping);
    expect((await primed.next()).value).toBe(word);
    // The source's own, in hand.
    expect(nextReady(primed)?.value).toBe(word);
    expect(nextReady(primed)?.value).toBe(third);
    expect(nextReady(primed)).toBeUndefined();
    expect(await primed.next()).toEqual({ done: true, value: undefined });
    if (kind === 'staged') expect(tapped).toEqual([role, ping, word, word, third]);
  });

  it('primes a preamble that came in one read without a deadline to race: no timer', async () => {
    const timers = vi.spyOn(globalThis, 'setTimeout');
    try {
      const primed = await primeStream(inHand([role, ping, word, word]));
      expect(timers).not.toHaveBeenCalled();
      const seen: unknown[] = [];
      for await (const chunk of primed) seen.push(chunk);
      expect(seen).toEqual([role, ping, word, word]);
      // A source without items in hand: each read after the first races the hold's deadline.
      const source = inHand([role, ping, word]);
      await primeStream({ [Symbol.asyncIterator]: () => ({ next: () => source[Symbol.asyncIterator]().next() }) });
      expect(timers).toHaveBeenCalledTimes(2);
    } finally {
      timers.mockRestore();
    }
  });

  it.each(Object.entries(layers))('never hands over a held end: that comes from next() (%s)', async (_kind, layer) => {
    const primed = (await primeStream(layer(inHand([role]), [])))[Symbol.asyncIterator]();
    expect((await primed.next()).value).toBe(role);
    expect(nextReady(primed)).toBeUndefined();
    expect(await primed.next()).toEqual({ done: true, value: undefined });
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
      end: async (error, letGo) => {
        await new Promise((r) => setTimeout(r, 5));
        events.push(`end ${String(error)} ${String(letGo)}`);
      },
    });
    const read: number[] = [];
    for await (const n of tapped) read.push(n);
    events.push('reader done');
    expect(read).toEqual([1, 2, 3]);
    expect(seen).toEqual([1, 2, 3]);
    expect(events).toEqual(['end undefined false', 'reader done']);
  });

  it('ends with the error of a failing source, and the reader gets that error', async () => {
    const failure = new Error('upstream broke');
    const end = vi.fn();
    const tapped = tapStream(source([1], failure), { end });
    await expect(async () => {
      for await (const _ of tapped) void _;
    }).rejects.toBe(failure);
    expect(end).toHaveBeenCalledOnce();
    expect(end).toHaveBeenCalledWith(failure, false);
  });

  it('lets the source go and ends when the reader stops early (a client that left)', async () => {
    const finished = { value: false };
    const end = vi.fn();
    const tapped = tapStream(source([1, 2, 3], undefined, finished), { end });
    for await (const n of tapped) if (n === 1) break;
    expect(finished.value).toBe(true);
    expect(end).toHaveBeenCalledOnce();
    expect(end).toHaveBeenCalledWith(undefined, true); // let go: what passed is not the whole stream
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
    expect(end).toHaveBeenCalledWith(oops, false);
  });
});
