/**
 * The closed-loop load generator: `concurrency` workers over one undici pool, each sending its next
 * request as soon as its previous answer is complete, for a fixed time. Latency is taken per
 * request with the monotonic clock: the whole answer, and for streams also the first body chunk
 * (TTFT). An answer that is not a complete success counts as an error, never as a sample.
 */
import { Pool } from 'undici';

export interface Sample {
  /** Whole-answer latencies of successful requests, ms. */
  readonly latencies: number[];
  /** Time to the first body chunk of successful streamed requests, ms. */
  readonly ttfts: number[];
  /** Failures by kind (`http 502`, `truncated stream`, `ECONNRESET`, ...). */
  readonly errors: Map<string, number>;
  /** Wall time spent measuring, ms. */
  elapsedMs: number;
  /** CPU time the server under test (not its upstream) used meanwhile, ms; filled in by the caller. */
  serverCpuMs: number;
}

export function emptySample(): Sample {
  return { latencies: [], ttfts: [], errors: new Map(), elapsedMs: 0, serverCpuMs: 0 };
}

export interface Endpoint {
  readonly origin: string;
  readonly path: string;
  readonly model: string;
  /** Extra request headers (a gateway key for the full pipeline). */
  readonly headers?: Readonly<Record<string, string>>;
}

/**
 * The mock echoes the prompt back, a word per chunk when streamed: the default answers in about 10
 * chunks; BENCH_PROMPT_WORDS=N makes it N words (N + 3 chunks), a long answer, where what a gateway
 * spends per chunk outweighs what it spends per request.
 */
const PROMPT_WORDS = Number(process.env.BENCH_PROMPT_WORDS ?? 0);
const PROMPT = PROMPT_WORDS > 0 ? Array.from({ length: PROMPT_WORDS }, (_, i) => `word${i}`).join(' ') : 'Benchmark the gateway with a short prompt, please.';

/** One target at one concurrency and mode; its pool's connections outlive warm-up and rounds. */
export class LoadTarget {
  private readonly pool: Pool;
  private readonly body: string;

  constructor(
    private readonly endpoint: Endpoint,
    private readonly concurrency: number,
    private readonly stream: boolean,
  ) {
    this.pool = new Pool(endpoint.origin, { connections: concurrency, pipelining: 1 });
    this.body = JSON.stringify({ model: endpoint.model, stream, messages: [{ role: 'user', content: PROMPT }] });
  }

  /** Runs the closed loop for `durationMs` and adds what it measured to `into`. */
  async run(durationMs: number, into: Sample = emptySample()): Promise<Sample> {
    const started = performance.now();
    const deadline = started + durationMs;
    const workers = Array.from({ length: this.concurrency }, () => this.worker(deadline, into));
    await Promise.all(workers);
    into.elapsedMs += performance.now() - started;
    return into;
  }

  close(): Promise<void> {
    return this.pool.close();
  }

  private async worker(deadline: number, into: Sample): Promise<void> {
    const options = { path: this.endpoint.path, method: 'POST' as const, headers: { 'content-type': 'application/json', ...this.endpoint.headers }, body: this.body };
    while (performance.now() < deadline) {
      const t0 = process.hrtime.bigint();
      let failure: string | undefined;
      let first: bigint | undefined;
      try {
        const res = await this.pool.request(options);
        // The last bytes are enough to tell a complete answer from a cut one, without decoding it all.
        let tail = '';
        for await (const chunk of res.body as AsyncIterable<Buffer>) {
          first ??= process.hrtime.bigint();
          tail = (tail + chunk.toString('latin1', Math.max(0, chunk.length - 32))).slice(-32);
        }
        if (res.statusCode < 200 || res.statusCode > 299) failure = `http ${res.statusCode}`;
        else if (this.stream && !tail.includes('data: [DONE]')) failure = 'stream without [DONE]';
        else if (!this.stream && !tail.trimEnd().endsWith('}')) failure = 'incomplete JSON body';
      } catch (error) {
        failure = (error as { code?: string }).code ?? (error as Error).message;
      }
      const t1 = process.hrtime.bigint();
      if (failure !== undefined) {
        into.errors.set(failure, (into.errors.get(failure) ?? 0) + 1);
        continue;
      }
      into.latencies.push(Number(t1 - t0) / 1e6);
      if (this.stream && first !== undefined) into.ttfts.push(Number(first - t0) / 1e6);
    }
  }
}

export interface Percentiles {
  p50: number;
  p99: number;
}

/** Nearest-rank percentiles; NaN when there is no sample. */
export function percentiles(values: readonly number[]): Percentiles {
  const sorted = Float64Array.from(values).sort();
  const at = (q: number) => (sorted.length === 0 ? Number.NaN : sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!);
  return { p50: at(0.5), p99: at(0.99) };
}

export function errorCount(sample: Sample): number {
  let total = 0;
  for (const n of sample.errors.values()) total += n;
  return total;
}

/**
 * Warms a target up (16 at a time, JSON then streams, `durationMs` each), so that the JIT has
 * compiled its hot path, and checks that it answers correctly: a target that does not is not measured.
 */
export async function warmUp(name: string, endpoint: Endpoint, durationMs: number): Promise<void> {
  for (const stream of [false, true]) {
    const load = new LoadTarget(endpoint, 16, stream);
    const sample = await load.run(durationMs);
    await load.close();
    if (errorCount(sample) > 0 || sample.latencies.length === 0) {
      throw new Error(`${name} (${stream ? 'stream' : 'JSON'}) does not answer correctly: ${sample.latencies.length} ok, errors ${JSON.stringify([...sample.errors])}`);
    }
  }
}
