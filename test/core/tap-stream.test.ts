import { describe, expect, it } from 'vitest';
import { chunksUnchanged, isPassable, markPassable, markUnchanged, primeStream, tapStream, type StreamTap } from '../../core/stream.js';
import { mapStream } from '../../core/map-stream.js';
import { passableHint } from '../../core/stream-marks.js';

/**
 * A tap over a tap is folded into one layer (core/tap-stream.ts). What every tap sees, and what the
 * reader gets, must be what nested layers gave: each scenario runs three taps folded, then the same
 * three kept apart by a wrapper that is not a tap (so each is its own layer), and compares the logs.
 */

interface Scenario {
  items: number[];
  /** The source fails after its items. */
  sourceFails?: boolean;
  /** Tap name -> the chunk it throws on. */
  throwsOn?: Record<string, number>;
  /** Taps whose `end` throws (or rejects, with `async`). */
  endThrows?: Record<string, 'sync' | 'async'>;
  /** The reader stops after this many chunks. */
  readerStopsAfter?: number;
  /** Taps without a mapError. */
  noMapError?: string[];
  /** After the end, the reader lets go of the stream all the same (each `end` still runs once). */
  letsGoAfterTheEnd?: boolean;
}

async function run(scenario: Scenario, folded: boolean): Promise<string[]> {
  const log: string[] = [];
  async function* source(): AsyncGenerator<number> {
    try {
      for (const item of scenario.items) yield item;
      if (scenario.sourceFails) throw new Error('source');
    } finally {
      log.push('source let go or done');
    }
  }
  const tap = (name: string): StreamTap<number> => ({
    chunk(n) {
      log.push(`${name} sees ${n}`);
      if (scenario.throwsOn?.[name] === n) throw new Error(`${name} threw`);
    },
    end(error) {
      log.push(`${name} ends ${error === undefined ? 'well' : (error as Error).message}`);
      const throws = scenario.endThrows?.[name];
      if (throws === 'sync') throw new Error(`${name} end threw`);
      if (throws === 'async') return Promise.reject(new Error(`${name} end rejected`));
      return undefined;
    },
    ...(scenario.noMapError?.includes(name) ? {} : { mapError: (error: unknown) => new Error(`${name}(${(error as Error).message})`) }),
  });
  const apart = (stream: AsyncIterable<number>): AsyncIterable<number> => (folded ? stream : { [Symbol.asyncIterator]: () => stream[Symbol.asyncIterator]() });
  const stream = tapStream(apart(tapStream(apart(tapStream(source(), tap('a'))), tap('b'))), tap('c'));
  let read = 0;
  try {
    for await (const n of stream) {
      log.push(`reader gets ${n}`);
      if (++read === scenario.readerStopsAfter) break;
    }
    log.push('reader done');
    if (scenario.letsGoAfterTheEnd) await stream[Symbol.asyncIterator]().return?.();
  } catch (error) {
    log.push(`reader fails with ${(error as Error).message}`);
  }
  return log;
}

const scenarios: Record<string, Scenario> = {
  'a stream that ends': { items: [1, 2, 3] },
  'a source that fails': { items: [1, 2], sourceFails: true },
  'a source that fails, a tap without mapError': { items: [1], sourceFails: true, noMapError: ['b'] },
  'the innermost tap throws': { items: [1, 2, 3], throwsOn: { a: 2 } },
  'a middle tap throws': { items: [1, 2, 3], throwsOn: { b: 2 } },
  'the outermost tap throws': { items: [1, 2, 3], throwsOn: { c: 1 } },
  'a reader that stops early': { items: [1, 2, 3], readerStopsAfter: 2 },
  'an end that throws': { items: [1, 2], endThrows: { a: 'sync' } },
  'an end that rejects': { items: [1, 2], endThrows: { b: 'async' } },
  'an end that throws after a failure': { items: [1], sourceFails: true, endThrows: { a: 'sync' } },
  'an end that throws when the reader stops': { items: [1, 2, 3], readerStopsAfter: 1, endThrows: { b: 'sync' } },
  'an empty stream': { items: [] },
  'a reader that lets go after the end': { items: [1], letsGoAfterTheEnd: true },
};

describe('tapStream over a tap', () => {
  for (const [name, scenario] of Object.entries(scenarios)) {
    it(`folded taps behave as nested layers: ${name}`, async () => {
      const nested = await run(scenario, false);
      // What nested taps do, pinned: recorded from the layered taps before any folding (27ea702).
      expect(nested).toMatchSnapshot();
      expect(await run(scenario, true)).toEqual(nested);
      for (const tap of ['a', 'b', 'c']) expect(nested.filter((line) => line.startsWith(`${tap} ends`))).toHaveLength(1);
    });
  }

  it('folds: the stream tapped again is read through the outer tap only', async () => {
    async function* source() {
      yield 1;
    }
    const inner = tapStream(source(), {});
    const outer = tapStream(inner, {});
    expect(() => inner[Symbol.asyncIterator]()).toThrow(/tapped again/);
    const read: number[] = [];
    for await (const n of outer) read.push(n);
    expect(read).toEqual([1]);
  });

  it('does not fold into a tap already being read: that becomes a layer of its own', async () => {
    async function* source() {
      yield 1;
      yield 2;
    }
    const seen: string[] = [];
    const inner = tapStream(source(), { chunk: (n) => void seen.push(`inner ${n}`) });
    const reading = inner[Symbol.asyncIterator]();
    expect(await reading.next()).toEqual({ done: false, value: 1 });
    const outer = tapStream({ [Symbol.asyncIterator]: () => reading }, { chunk: (n) => void seen.push(`outer ${n}`) });
    const rest: number[] = [];
    for await (const n of outer) rest.push(n);
    expect(rest).toEqual([2]);
    expect(seen).toEqual(['inner 1', 'inner 2', 'outer 2']);
  });

  it('keeps a stream passable only while every folded tap reads in place', async () => {
    async function* source() {
      yield 1;
    }
    const hint = { allowed: false };
    const passable = markPassable(source(), hint);
    const lazy = tapStream(tapStream(passable, { chunk: () => undefined, lazyChunks: true }), { end: () => undefined });
    expect(isPassable(lazy)).toBe(true);
    // The request's hint goes with the mark: priming the stream finds it (core/unparsed-preamble.ts).
    expect(passableHint(lazy)).toBe(hint);
    const keeping = tapStream(tapStream(markPassable(source(), hint), { end: () => undefined }), { chunk: () => undefined });
    expect(isPassable(keeping)).toBe(false);
  });

  it('keeps a stream unchanged (its native events replayable) through taps and priming, never through a map or a generator', async () => {
    async function* source() {
      yield 1;
      yield 2;
    }
    const tapped = tapStream(tapStream(markUnchanged(source()), { chunk: () => undefined }), { end: () => undefined });
    expect(chunksUnchanged(tapped)).toBe(true);
    expect(chunksUnchanged(await primeStream(tapped, { meaningful: () => true }))).toBe(true);
    // Over a map, or under a tap over a map (the map folds in): mapped.
    expect(chunksUnchanged(mapStream(markUnchanged(source()), { item: (n) => n }))).toBe(false);
    expect(chunksUnchanged(tapStream(mapStream(markUnchanged(source()), { item: (n) => n }), { chunk: () => undefined }))).toBe(false);
    async function* copied(chunks: AsyncIterable<number>) {
      for await (const n of chunks) yield n;
    }
    expect(chunksUnchanged(tapStream(copied(markUnchanged(source())), { end: () => undefined }))).toBe(false);
    expect(chunksUnchanged(source())).toBe(false);
  });

  it('runs a tap\'s end once however often the stream is read or let go after its end', async () => {
    async function* source() {
      yield 1;
    }
    const ends: unknown[] = [];
    const iterator = tapStream(source(), { end: (error) => void ends.push(error) })[Symbol.asyncIterator]();
    expect(await iterator.next()).toEqual({ done: false, value: 1 });
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
    expect(await iterator.next()).toEqual({ done: true, value: undefined });
    await iterator.return?.();
    expect(ends).toEqual([undefined]);
  });
});
