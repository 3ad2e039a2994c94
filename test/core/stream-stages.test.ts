import { describe, expect, it } from 'vitest';
import { SKIP, STOP, mapStream, type StreamMapping } from '../../core/map-stream.js';
import { tapStream, type StreamTap } from '../../core/tap-stream.js';

/**
 * Maps and taps over a stream nobody reads yet join it in one layer (core/stream-stages.ts). What
 * every stage sees, and what the reader gets, must be what nested layers gave. Random runs of maps
 * and taps (items mapped, skipped, stopped at, thrown on; ends that give a last item, throw or
 * reject; failures mapped, turned into a last item or thrown again) over sources that end, fail or
 * refuse to be let go, read to the end or left early, each run once joined and once with every
 * stage kept apart by a wrapper that is neither, and the logs compared.
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
type Plan = TapPlan | MapPlan;

interface Scenario {
  items: string[];
  sourceFails: boolean;
  sourceReturnRejects: boolean;
  stages: Plan[];
  readerStopsAfter?: number;
  letsGoAfterTheEnd: boolean;
  /** After the end, the reader asks for one more item. */
  readsAgainAfterTheEnd: boolean;
}

async function run(scenario: Scenario, joined: boolean): Promise<string[]> {
  const lines: string[] = [];
  const log = (line: string) => void lines.push(line);
  const message = (error: unknown) => (error instanceof Error ? error.message : String(error));
  const source: AsyncIterable<string> = {
    [Symbol.asyncIterator]() {
      let next = 0;
      let over = false;
      return {
        async next() {
          if (over) return { done: true, value: undefined };
          if (next < scenario.items.length) {
            log(`source gives ${scenario.items[next]}`);
            return { done: false, value: scenario.items[next++]! };
          }
          over = true;
          log(scenario.sourceFails ? 'source fails' : 'source ends');
          if (scenario.sourceFails) throw new Error('source');
          return { done: true, value: undefined };
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
              if (plan.end === 'later') return new Promise((resolve) => setImmediate(resolve));
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

  const apart = (stream: AsyncIterable<string>): AsyncIterable<string> => (joined ? stream : { [Symbol.asyncIterator]: () => stream[Symbol.asyncIterator]() });
  let stream: AsyncIterable<string> = source;
  for (const plan of scenario.stages) stream = plan.kind === 'tap' ? tapStream(apart(stream), tap(plan)) : mapStream(apart(stream), map(plan));

  let read = 0;
  try {
    for await (const value of stream) {
      log(`reader gets ${value}`);
      if (++read === scenario.readerStopsAfter) break;
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
  return lines;
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
  const stages: Plan[] = Array.from({ length: 1 + Math.floor(next() * 4) }, (_, i): Plan => {
    const name = `s${i}`;
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
    letsGoAfterTheEnd: chance(0.2),
    readsAgainAfterTheEnd: chance(0.2),
  };
}

describe('maps and taps joined in one layer', () => {
  it('see and give what nested layers did, in 3,000 random runs', async () => {
    const next = random(20261203);
    for (let i = 0; i < 3000; i++) {
      const scenario = scenarioFrom(next);
      const joined = await run(scenario, true);
      const nested = await run(scenario, false);
      expect({ scenario, log: joined }, `run ${i}`).toEqual({ scenario, log: nested });
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
