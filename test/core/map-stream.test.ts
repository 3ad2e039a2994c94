import { describe, expect, it } from 'vitest';
import { SKIP, STOP, mapStream } from '../../core/map-stream.js';

/** A source that records whether it was let go (`return()`), and may fail after some items. */
function source<T>(items: T[], failAfter?: number) {
  const seen = { returned: false, read: 0 };
  async function* generate() {
    try {
      for (const [index, item] of items.entries()) {
        if (index === failAfter) throw new Error('source failed');
        seen.read++;
        yield item;
      }
      if (failAfter === items.length) throw new Error('source failed');
    } finally {
      seen.returned = true;
    }
  }
  return { iterable: generate(), seen };
}

async function collect<T>(iterable: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of iterable) out.push(item);
  return out;
}

describe('mapStream', () => {
  it('maps each item, skips what gives nothing, and adds what end gives', async () => {
    const { iterable } = source([1, 2, 3, 4]);
    const mapped = mapStream(iterable, { item: (n) => (n % 2 === 0 ? SKIP : `odd ${n}`), end: () => 'end' });
    expect(await collect(mapped)).toEqual(['odd 1', 'odd 3', 'end']);
  });

  it('STOP ends the stream there: the source is let go and end runs', async () => {
    const { iterable, seen } = source(['a', 'stop', 'never']);
    const mapped = mapStream(iterable, { item: (s) => (s === 'stop' ? STOP : s), end: () => 'end' });
    expect(await collect(mapped)).toEqual(['a', 'end']);
    expect(seen).toEqual({ returned: true, read: 2 });
  });

  it('a throwing item lets the source go, then the reader gets the error, or what error gives instead', async () => {
    const bad = source(['a', 'bad', 'never']);
    const failing = mapStream(bad.iterable, {
      item: (s) => {
        if (s === 'bad') throw new Error('bad item');
        return s;
      },
    });
    const read: string[] = [];
    await expect(
      (async () => {
        for await (const s of failing) read.push(s);
      })(),
    ).rejects.toThrow('bad item');
    expect(read).toEqual(['a']);
    expect(bad.seen.returned).toBe(true);

    const handled = source(['a', 'bad']);
    const mapped = mapStream(handled.iterable, {
      item: (s) => {
        if (s === 'bad') throw new Error('bad item');
        return s;
      },
      error: (cause) => `error: ${(cause as Error).message}`,
    });
    expect(await collect(mapped)).toEqual(['a', 'error: bad item']);
    expect(handled.seen.returned).toBe(true);
  });

  it("a source's failure goes to error, a throwing end too; without error the reader gets them", async () => {
    expect(await collect(mapStream(source([1, 2], 1).iterable, { item: String, error: () => 'failed' }))).toEqual(['1', 'failed']);
    await expect(collect(mapStream(source([1, 2], 2).iterable, { item: String }))).rejects.toThrow('source failed');
    const end = () => {
      throw new Error('cut short');
    };
    await expect(collect(mapStream(source([1]).iterable, { item: String, end }))).rejects.toThrow('cut short');
    expect(await collect(mapStream(source([1]).iterable, { item: String, end, error: () => undefined }))).toEqual(['1']);
  });

  it('a reader that leaves lets the source go; nothing is read after', async () => {
    const { iterable, seen } = source([1, 2, 3]);
    const mapped = mapStream(iterable, { item: (n) => n * 10, end: () => 99 });
    for await (const n of mapped) {
      expect(n).toBe(10);
      break;
    }
    expect(seen).toEqual({ returned: true, read: 1 });
    const iterator = mapped[Symbol.asyncIterator]();
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
  });

  it('once over, a map answers done itself: reading again or letting go after the end does not reach the source', async () => {
    const calls: string[] = [];
    const counting: AsyncIterable<number> = {
      [Symbol.asyncIterator]: () => ({
        next: async () => (calls.push('next'), { done: true, value: undefined }),
        return: async () => (calls.push('return'), { done: true, value: undefined }),
      }),
    };
    const mapped = mapStream(counting, { item: (n) => n });
    const iterator = mapped[Symbol.asyncIterator]();
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
    expect(await iterator.return?.()).toEqual({ done: true, value: undefined });
    expect(calls).toEqual(['next']);
  });
});
