/**
 * A closed-loop load generator: `concurrency` workers, each sending its next request as soon as
 * its previous answer is complete, for a fixed time. Latency is taken per request with the
 * monotonic clock; for streams, also the time to the first body chunk (TTFT).
 */
import { Pool } from 'undici';

export interface LoadResult {
  requests: number;
  errors: number;
  rps: number;
  latencyMs: { p50: number; p99: number };
  ttftMs?: { p50: number; p99: number };
}

export interface LoadOptions {
  url: string;
  concurrency: number;
  durationMs: number;
  stream: boolean;
  model: string;
}

export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const url = new URL(options.url);
  const pool = new Pool(url.origin, { connections: options.concurrency, pipelining: 1 });
  const body = JSON.stringify({ model: options.model, stream: options.stream, messages: [{ role: 'user', content: 'Benchmark the gateway with a short prompt, please.' }] });
  const latencies: number[] = [];
  const ttfts: number[] = [];
  let errors = 0;
  const started = performance.now();
  const deadline = started + options.durationMs;

  const worker = async () => {
    while (performance.now() < deadline) {
      const t0 = process.hrtime.bigint();
      try {
        const res = await pool.request({ path: url.pathname, method: 'POST', headers: { 'content-type': 'application/json' }, body });
        let first: bigint | undefined;
        for await (const _chunk of res.body) first ??= process.hrtime.bigint();
        const t1 = process.hrtime.bigint();
        if (res.statusCode !== 200) {
          errors++;
          continue;
        }
        latencies.push(Number(t1 - t0) / 1e6);
        if (options.stream && first !== undefined) ttfts.push(Number(first - t0) / 1e6);
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const elapsed = performance.now() - started;
  await pool.close();
  return {
    requests: latencies.length,
    errors,
    rps: (latencies.length / elapsed) * 1000,
    latencyMs: percentiles(latencies),
    ...(options.stream ? { ttftMs: percentiles(ttfts) } : {}),
  };
}

function percentiles(values: number[]): { p50: number; p99: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
  return { p50: at(0.5), p99: at(0.99) };
}
