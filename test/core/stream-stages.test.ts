import { describe, expect, it, vi } from 'vitest';
import { SKIP, STOP, mapStream, type StreamMapping } from '../../core/map-stream.js';
import { primeStream } from '../../core/stream.js';
import { NEXT_READY, nextReady } from '../../core/stream-ready.js';
import { isPrimed, markPrimed } from '../../core/stream-marks.js';
import { tapStream, type StreamTap } from '../../core/tap-stream.js';

/**
 * Maps and taps over a stream nobody reads yet join it in one layer (core/stream-stages.ts). What
 * every stage sees, and what the reader gets, must be what nested layers gave. Random runs of maps
 * and taps (items mapped, skipped, stopped at, thrown on; ends that give a last item, throw or
 * reject; failures mapped, turned into a last item or thrown again) over sources that end, fail or
 * refuse to be let go, read to the end or left early, each run once joined and once with every
 * stage kept apart by a wrapper that is neither, and the logs compared. Priming (`primeStream`,
 * as the retry primes inside its loop) is a stage too: joined, the primed stream goes on in the
 * same layer and replays what it held through the stages added after it. A third time the source
 * has items in hand (core/stream-ready.ts: a few after each one `next()` gave), and the reader
 * takes them as writeSse does: what every stage sees and the reader gets must not change.
 */

type TapPlan = { kind: 'tap'; name: string; readsChunks: boolean; throwsOnCall?: number; end: 'none' | 'ok' | 'throws' | 'rejects' | 'later'; mapsErrors: boolean };
type MapPlan = {
  kind: 'map';
  name: string;
  /** What the n-th call of `item` does; beyond the list it maps. */
  items: Array<'map' | 'skip' | 'stop' | 'throw'>;
  end: 'none' | 'nothing' | 'last' | 'throws';
  error: 'none' | 'nothing' | 'last' | 'throws';
};
/** Holds items until the `meaningfulAt`-th it reads (never when 0; every item with the default meaning), at most `maxHeld`; `holdMs` short lets a slow item come late. */
type PrimePlan = { kind: 'prime'; name: string; meaning: 'default' | 'counted'; meaningfulAt: number; maxHeld: number; holdMs: number };
type Plan = TapPlan | MapPlan | PrimePlan;

interface Scenario {
  items: string[];
  sourceFails: boolean;
  sourceReturnRejects: boolean;
  stages: Plan[];
  readerStopsAfter?: number;
  /** The source's read of this item (of its end or failure, past the last) waits a while: priming with a short hold commits before it comes. */
  slowRead?: number;
  letsGoAfterTheEnd: boolean;
  /** After the end, the reader asks for one more item. */
  readsAgainAfterTheEnd: boolean;
  /** How many items the source has in hand after each one `next()` gives, when the reader takes them. */
  inHand: number;
}

type Reading = 'joined' | 'nested' | 'joined, in hand';

async function run(scenario: Scenario, reading: Reading): Promise<string[]> {
  const joined = reading !== 'nested';
  const inHand = reading === 'joined, in hand';
  const lines: string[] = [];
  let slowRead: Promise<unknown> | undefined;
  /** The log once nothing is left to happen: a read priming left pending may settle after the reader is done. */
  const settled = async () => {
    if (slowRead !== undefined) await slowRead;
    await new Promise((resolve) => setImmediate(resolve));
    return lines;
  };
  const log = (line: string) => void lines.push(line);
  const message = (error: unknown) => (error instanceof Error ? error.message : String(error));
  const source: AsyncIterable<string> = {
    [Symbol.asyncIterator]() {
      let next = 0;
      let over = false;
      let ready = 0;
      return {
        async next() {
          if (over) return { done: true, value: undefined };
          if (next === scenario.slowRead) await (slowRead = new Promise((resolve) => setTimeout(resolve, 5)));
          if (next < scenario.items.length) {
            log(`source gives ${scenario.items[next]}`);
            ready = inHand ? scenario.inHand : 0;
            return { done: false, value: scenario.items[next++]! };
          }
          over = true;
          next++;
          log(scenario.sourceFails ? 'source fails' : 'source ends');
          if (scenario.sourceFails) throw new Error('source');
          return { done: true, value: undefined };
        },
        // Never the slow read: that one comes through next().
        [NEXT_READY]() {
          if (over || ready === 0 || next >= scenario.items.length || next === scenario.slowRead) return undefined;
          ready--;
          log(`source has ${scenario.items[next]} in hand`);
          return { done: false as const, value: scenario.items[next++]! };
        },
        async return() {
          log('source let go');
          over = true;
          if (scenario.sourceReturnRejects) throw new Error('source refused');
          return { done: true, value: undefined };
        },
      };
    },
  };
  const tap = (plan: TapPlan): StreamTap<string> => {
    let calls = 0;
    return {
      ...(plan.readsChunks
        ? {
            chunk(value: string) {
              log(`${plan.name} sees ${value}`);
              if (++calls === plan.throwsOnCall) throw new Error(`${plan.name} threw`);
            },
          }
        : {}),
      ...(plan.end === 'none'
        ? {}
        : {
            end(error: unknown) {
              log(`${plan.name} ends ${error === undefined ? 'well' : message(error)}`);
              if (plan.end === 'throws') throw new Error(`${plan.name} end threw`);
              if (plan.end === 'rejects') return Promise.reject(new Error(`${plan.name} end rejected`));
              // With a slow read, the priming's deadline (a timer) must race nothing but that read.
              if (plan.end === 'later') return scenario.slowRead === undefined ? new Promise((resolve) => setImmediate(resolve)) : afterMicrotasks(5);
              return undefined;
            },
          }),
      ...(plan.mapsErrors ? { mapError: (error: unknown) => new Error(`${plan.name}(${message(error)})`) } : {}),
    };
  };
  const map = (plan: MapPlan): StreamMapping<string, string> => {
    let calls = 0;
    return {
      item(value) {
        const does = plan.items[calls++] ?? 'map';
        log(`${plan.name} item ${value}: ${does}`);
        if (does === 'skip') return SKIP;
        if (does === 'stop') return STOP;
        if (does === 'throw') throw new Error(`${plan.name} item threw`);
        return `${plan.name}(${value})`;
      },
      ...(plan.end === 'none'
        ? {}
        : {
            end() {
              log(`${plan.name} end`);
              if (plan.end === 'throws') throw new Error(`${plan.name} end threw`);
              return plan.end === 'last' ? `${plan.name} last` : undefined;
            },
          }),
      ...(plan.error === 'none'
        ? {}
        : {
            error(cause: unknown) {
              log(`${plan.name} error ${message(cause)}`);
              if (plan.error === 'throws') throw new Error(`${plan.name} error threw`);
              return plan.error === 'last' ? `${plan.name} instead` : undefined;
            },
          }),
    };
  };

  const apart = (stream: AsyncIterable<string>): AsyncIterable<string> => {
    if (joined) return stream;
    const wrapper = { [Symbol.asyncIterator]: () => stream[Symbol.asyncIterator]() };
    // Primed is a meaning a layer keeps, joined or not: a second priming with the default meaning waits for nothing.
    if (isPrimed(stream)) markPrimed(wrapper);
    return wrapper;
  };
  const prime = async (stream: AsyncIterable<string>, plan: PrimePlan): Promise<AsyncIterable<string>> => {
    let reads = 0;
    const counted = (value: string) => {
      log(`${plan.name} reads ${value}`);
      return ++reads === plan.meaningfulAt;
    };
    return primeStream(stream, { ...(plan.meaning === 'counted' ? { meaningful: counted } : {}), maxHeld: plan.maxHeld, holdMs: plan.holdMs });
  };
  let stream: AsyncIterable<string> = source;
  for (const plan of scenario.stages) {
    if (plan.kind !== 'prime') {
      stream = plan.kind === 'tap' ? tapStream(apart(stream), tap(plan)) : mapStream(apart(stream), map(plan));
      continue;
    }
    try {
      stream = await prime(apart(stream), plan);
      log(`${plan.name} commits`);
    } catch (error) {
      // As the retry does: a stream that failed before it started is answered with its error.
      log(`${plan.name} fails with ${message(error)}`);
      return settled();
    }
  }

  let read = 0;
  try {
    if (inHand) {
      // writeSse's loop: for await, taking what is in hand after each item.
      const iterator = stream[Symbol.asyncIterator]();
      reading: for (;;) {
        const result = await iterator.next();
        if (result.done === true) break;
        log(`reader gets ${result.value}`);
        if (++read === scenario.readerStopsAfter) {
          await iterator.return?.();
          break;
        }
        for (let more = nextReady(iterator); more !== undefined; more = nextReady(iterator)) {
          log(`reader gets ${more.value}`);
          if (++read === scenario.readerStopsAfter) {
            await iterator.return?.();
            break reading;
          }
        }
      }
    } else {
      for await (const value of stream) {
        log(`reader gets ${value}`);
        if (++read === scenario.readerStopsAfter) break;
      }
    }
    log('reader done');
    if (scenario.readsAgainAfterTheEnd) {
      const result = await stream[Symbol.asyncIterator]().next();
      log(`reader reads again after the end: ${JSON.stringify(result)}`);
    }
    if (scenario.letsGoAfterTheEnd) {
      const result = await stream[Symbol.asyncIterator]().return?.();
      log(`reader let go after the end: ${JSON.stringify(result)}`);
    }
  } catch (error) {
    log(`reader fails with ${message(error)}`);
  }
  return settled();
}

/**
 * A scenario with a slow read runs on fake timers, which fire one at a time in the order they are
 * due, whatever the machine's load: priming's deadline comes before the slow read, every time.
 */
async function runOnItsClock(scenario: Scenario, reading: Reading): Promise<string[]> {
  if (scenario.slowRead === undefined) return run(scenario, reading);
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
  try {
    let finished = false;
    const running = run(scenario, reading).finally(() => (finished = true));
    while (!finished) await vi.advanceTimersToNextTimerAsync();
    return await running;
  } finally {
    vi.useRealTimers();
  }
}

/** Settles after `n` turns of the microtask queue: later, but before any timer. */
async function afterMicrotasks(n: number): Promise<void> {
  for (let i = 0; i < n; i++) await Promise.resolve();
}

/** mulberry32: the same scenarios on every run. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function scenarioFrom(next: () => number): Scenario {
  const pick = <T>(options: readonly T[]): T => options[Math.floor(next() * options.length)]!;
  const chance = (p: number) => next() < p;
  const stages: Plan[] = Array.from({ length: 1 + Math.floor(next() * 5) }, (_, i): Plan => {
    const name = `s${i}`;
    if (chance(0.2)) {
      return { kind: 'prime', name, meaning: chance(0.3) ? 'default' : 'counted', meaningfulAt: Math.floor(next() * 4), maxHeld: 1 + Math.floor(next() * 4), holdMs: chance(0.4) ? 1 : 10_000 };
    }
    if (chance(0.5)) {
      return { kind: 'tap', name, readsChunks: chance(0.85), ...(chance(0.25) ? { throwsOnCall: 1 + Math.floor(next() * 3) } : {}), end: pick(['none', 'ok', 'ok', 'throws', 'rejects', 'later'] as const), mapsErrors: chance(0.6) };
    }
    return {
      kind: 'map',
      name,
      items: Array.from({ length: Math.floor(next() * 4) }, () => pick(['map', 'map', 'skip', 'stop', 'throw'] as const)),
      end: pick(['none', 'nothing', 'last', 'last', 'throws'] as const),
      error: pick(['none', 'nothing', 'last', 'throws'] as const),
    };
  });
  return {
    items: Array.from({ length: Math.floor(next() * 5) }, (_, i) => String.fromCharCode(97 + i)),
    sourceFails: chance(0.3),
    sourceReturnRejects: chance(0.2),
    stages,
    ...(chance(0.3) ? { readerStopsAfter: 1 + Math.floor(next() * 3) } : {}),
    ...(stages.some((stage) => stage.kind === 'prime' && stage.holdMs < 100) ? { slowRead: Math.floor(next() * 5) } : {}),
    letsGoAfterTheEnd: chance(0.2),
    readsAgainAfterTheEnd: chance(0.2),
    inHand: Math.floor(next() * 4),
  };
}

describe('maps and taps joined in one layer', () => {
  it('see and give what nested layers did, in 3,000 random runs', async () => {
    const next = random(20261203);
    for (let i = 0; i < 3000; i++) {
      const scenario = scenarioFrom(next);
      const joined = await runOnItsClock(scenario, 'joined');
      const nested = await runOnItsClock(scenario, 'nested');
      expect({ scenario, log: joined }, `run ${i}`).toEqual({ scenario, log: nested });
      // In hand, the source says so when it hands an item over; otherwise the same lines.
      const inHand = (await runOnItsClock(scenario, 'joined, in hand')).map((line) => line.replace(/^source has (\w+) in hand$/, 'source gives $1'));
      expect({ scenario, log: inHand }, `run ${i}, in hand`).toEqual({ scenario, log: nested });
    }
  });

  it('joins: the stream mapped or tapped again cannot be read', async () => {
    async function* source() {
      yield 1;
    }
    const mapped = mapStream(source(), { item: (n) => n + 1 });
    const tapped = tapStream(mapped, { chunk: () => undefined });
    const encoded = mapStream(tapped, { item: (n) => `${n}` });
    expect(() => mapped[Symbol.asyncIterator]()).toThrow(/mapped or tapped again/);
    expect(() => tapped[Symbol.asyncIterator]()).toThrow(/mapped or tapped again/);
    const got: string[] = [];
    for await (const value of encoded) got.push(value);
    expect(got).toEqual(['2']);
  });

  it('primes in the same layer: the stream primed is not read again, and a tap around the primed one joins it', async () => {
    async function* source() {
      yield 1;
      yield 2;
    }
    const mapped = mapStream(source(), { item: (n) => n * 10 });
    const primed = await primeStream(mapped, { meaningful: (n) => n > 10 });
    expect(() => mapped[Symbol.asyncIterator]()).toThrow(/mapped or tapped again/);
    const seen: number[] = [];
    const tapped = tapStream(primed, { chunk: (n) => seen.push(n) });
    expect(() => primed[Symbol.asyncIterator]()).toThrow(/mapped or tapped again/);
    const got: number[] = [];
    for await (const value of tapped) got.push(value);
    expect(got).toEqual([10, 20]);
    expect(seen).toEqual([10, 20]);
  });

  it('does not join a stream that is being read: that one becomes the new layer\'s source', async () => {
    async function* source() {
      yield 1;
      yield 2;
    }
    const mapped = mapStream(source(), { item: (n) => n * 10 });
    const iterator = mapped[Symbol.asyncIterator]();
    expect(await iterator.next()).toEqual({ done: false, value: 10 });
    const seen: number[] = [];
    const tapped = tapStream(mapped, { chunk: (n) => seen.push(n) });
    const rest: number[] = [];
    for await (const value of tapped) rest.push(value);
    expect(rest).toEqual([20]);
    expect(seen).toEqual([20]);
  });
});
