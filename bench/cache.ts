/**
 * `npm run bench:cache`: what gateway:cache costs and saves, in one process.
 *
 * 1. An exact hit end to end (client → gateway → cache → client) against the mock upstream's own
 *    latency (client → mock directly) and a miss through the gateway, over real sockets.
 * 2. Semantic lookup in the vector index (plugins/cache/vector-index.ts, the one the plugin uses)
 *    at 10k and 100k entries of 1536 dimensions in one partition (the worst case: partitions split
 *    entries by scope, model, system prompt and tools): p50/p99 of `nearest`, recall of the entry a
 *    query was made from, build time, memory per entry. The embeddings call itself is not included.
 *
 * Environment: BENCH_CACHE_SIZES (default "10000,100000"), BENCH_CACHE_REQUESTS (default 2000),
 * BENCH_CACHE_PARTS (default "semantic,e2e").
 * Prints a Markdown table for docs/performance.md's "Cache" section.
 */
import { cpus, loadavg } from 'node:os';
import OpenAI from 'openai';
import { cache } from '../index.js';
import { startGateway } from '../sdk/testing/start-gateway.js';
import { mockProvider, startMockUpstream } from '../sdk/testing/mock-upstream.js';
import { VectorIndex } from '../plugins/cache/vector-index.js';

const SIZES = (process.env.BENCH_CACHE_SIZES ?? '10000,100000').split(',').map(Number);
const REQUESTS = Number(process.env.BENCH_CACHE_REQUESTS ?? 2000);
const PARTS = (process.env.BENCH_CACHE_PARTS ?? 'semantic,e2e').split(',');
const DIMENSIONS = 1536;
const QUERIES = 2000;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}
const summary = (samples: number[]) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
};
const ms = (value: number) => `${value.toFixed(3)} ms`;

async function endToEnd(): Promise<string[]> {
  const upstream = await startMockUpstream({ record: false });
  const gw = await startGateway({ providers: { mock: mockProvider(upstream) }, plugins: [cache()] });
  const body = { model: 'mock-small', messages: [{ role: 'user' as const, content: 'benchmark me' }] };
  const direct = new OpenAI({ baseURL: upstream.baseURL, apiKey: 'x', maxRetries: 0 });
  const viaGateway = new OpenAI({ baseURL: gw.baseURL, apiKey: 'x', maxRetries: 0 });
  const time = async (label: string, call: () => Promise<unknown>) => {
    for (let i = 0; i < 200; i++) await call(); // warm-up
    const samples: number[] = [];
    for (let i = 0; i < REQUESTS; i++) {
      const started = performance.now();
      await call();
      samples.push(performance.now() - started);
    }
    const { p50, p99 } = summary(samples);
    return `| ${label} | ${ms(p50)} | ${ms(p99)} |`;
  };
  const rows = [
    await time('mock upstream, directly', () => direct.chat.completions.create(body)),
    await time('gateway, cache miss (x-gateway-cache: skip)', () => viaGateway.chat.completions.create({ ...body, model: 'mock/mock-small' }, { headers: { 'x-gateway-cache': 'skip' } })),
    await time('gateway, exact hit', () => viaGateway.chat.completions.create({ ...body, model: 'mock/mock-small' })),
  ];
  await gw.close();
  await upstream.close();
  return rows;
}

/** A random unit vector; `near` gives one at about cosine 0.97 from it. */
function randomUnit(): Float32Array {
  const v = new Float32Array(DIMENSIONS);
  for (let i = 0; i < DIMENSIONS; i++) v[i] = Math.random() * 2 - 1;
  return normalize(v);
}
function normalize(v: Float32Array): Float32Array {
  let norm = 0;
  for (const x of v) norm += x * x;
  norm = Math.sqrt(norm);
  for (let i = 0; i < v.length; i++) v[i]! /= norm;
  return v;
}
function near(v: Float32Array): Float32Array {
  const noise = randomUnit();
  const out = new Float32Array(DIMENSIONS);
  for (let i = 0; i < DIMENSIONS; i++) out[i] = 0.97 * v[i]! + 0.243 * noise[i]!;
  return normalize(out);
}

async function semantic(size: number): Promise<string> {
  global.gc?.();
  const before = process.memoryUsage();
  const index = await VectorIndex.create();
  const kept: Float32Array[] = [];
  const started = performance.now();
  for (let i = 0; i < size; i++) {
    const v = randomUnit();
    if (i % Math.ceil(size / QUERIES) === 0) kept.push(v);
    index.add('partition', `entry-${i}`, v);
  }
  const buildSeconds = (performance.now() - started) / 1000;
  global.gc?.();
  const after = process.memoryUsage();
  const perEntry = (after.rss - before.rss) / size;
  const samples: number[] = [];
  let found = 0;
  for (const [i, source] of kept.entries()) {
    const query = near(source);
    const t = performance.now();
    const [best] = index.nearest('partition', query);
    samples.push(performance.now() - t);
    if (best?.id === `entry-${i * Math.ceil(size / QUERIES)}`) found++;
  }
  const { p50, p99 } = summary(samples);
  return `| ${size.toLocaleString('en')} | ${ms(p50)} | ${ms(p99)} | ${((found / kept.length) * 100).toFixed(1)} % | ${buildSeconds.toFixed(1)} s | ${(perEntry / 1024).toFixed(1)} KiB |`;
}

/** For comparison: the exact scan in JavaScript that an index of our own would start from. */
function bruteForce(size: number): string {
  const flat = new Float32Array(size * DIMENSIONS);
  for (let i = 0; i < size; i++) flat.set(randomUnit(), i * DIMENSIONS);
  const samples: number[] = [];
  for (let q = 0; q < 50; q++) {
    const query = randomUnit();
    const t = performance.now();
    let best = -2;
    for (let row = 0; row < size; row++) {
      let dot = 0;
      const offset = row * DIMENSIONS;
      for (let i = 0; i < DIMENSIONS; i++) dot += query[i]! * flat[offset + i]!;
      if (dot > best) best = dot;
    }
    samples.push(performance.now() - t);
  }
  const { p50, p99 } = summary(samples);
  return `| ${size.toLocaleString('en')} (exact scan in JS, for comparison) | ${ms(p50)} | ${ms(p99)} | 100 % | - | ${((DIMENSIONS * 4) / 1024).toFixed(1)} KiB |`;
}

async function main(): Promise<void> {
  console.log(`Node ${process.version}, load average ${loadavg().map((l) => l.toFixed(1)).join(' ')} on ${cpus().length} cores\n`);
  console.log(`Semantic lookup, ${DIMENSIONS} dimensions, one partition, ${QUERIES} queries at cosine ≈ 0.97 from a stored entry\n`);
  console.log('| entries | p50 | p99 | recall@1 | build | memory per entry (RSS) |\n| --- | --- | --- | --- | --- | --- |');
  if (PARTS.includes('semantic')) {
    for (const size of SIZES) console.log(await semantic(size));
    console.log(bruteForce(Math.min(...SIZES)));
  }
  if (!PARTS.includes('e2e')) return;
  console.log(`\nExact hit end to end, ${REQUESTS} sequential requests per row\n`);
  console.log('| path | p50 | p99 |\n| --- | --- | --- |');
  for (const row of await endToEnd()) console.log(row);
}

await main();
