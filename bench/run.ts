/**
 * `npm run bench`: the gateway's added latency and throughput against the upstream called
 * directly, in the same run, beside a bare Koa + undici proxy.
 *
 * Four processes: the mock upstream, the bare proxy and the gateway (built `dist/`, as in
 * production) each run on their own; this one generates the load. Every cell (concurrency ×
 * JSON/stream) warms each target up, then measures the three targets in interleaved rounds, so a
 * burst of unrelated load on the machine hits them alike. Results go to stdout and replace the
 * results section of docs/performance.md.
 *
 * Environment: BENCH_DURATION_MS (measured time per target and cell, default 4000),
 * BENCH_WARMUP_MS (default 1000), BENCH_ROUNDS (default 2), BENCH_CONCURRENCY (default "1,16,64"),
 * BENCH_WRITE_DOC=0 to leave the doc alone.
 */
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { LoadTarget, emptySample, errorCount, type Endpoint, type Sample } from './load.js';
import { cpuTimeMs, installCleanup, killAll, peakRssMb, startNode } from './processes.js';
import { TARGETS, renderReport, totalErrors, writeResults, type Cell, type TargetName } from './report.js';

const ROOT = join(import.meta.dirname, '..');
const DURATION_MS = positiveInt('BENCH_DURATION_MS', 4000);
const WARMUP_MS = positiveInt('BENCH_WARMUP_MS', 1000);
const ROUNDS = positiveInt('BENCH_ROUNDS', 2);
const CONCURRENCY = (process.env.BENCH_CONCURRENCY ?? '1,16,64').split(',').map(Number);
const WRITE_DOC = process.env.BENCH_WRITE_DOC !== '0';

function positiveInt(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) throw new Error(`${name} must be a positive integer (got "${raw}")`);
  return value;
}

async function main(): Promise<number> {
  if (CONCURRENCY.some((c) => !Number.isInteger(c) || c < 1)) throw new Error('BENCH_CONCURRENCY must list positive integers, e.g. "1,16,64"');
  const gatewayMain = join(ROOT, 'dist', 'cli', 'main.js');
  if (!existsSync(gatewayMain)) throw new Error(`${gatewayMain} is missing: run \`npm run build\` first (npm run bench does)`);
  const loadBefore = loadavg()[0]!;

  // `node --import tsx`, not the tsx binary: that one is a wrapper process around the real one.
  const upstream = await startNode({ name: 'mock upstream', cwd: ROOT, args: ['--import', 'tsx', 'bench/upstream-server.ts'], ready: /"port":(\d+)/ });
  const upstreamOrigin = `http://127.0.0.1:${upstream.match[1]}`;
  const bare = await startNode({ name: 'bare proxy', cwd: ROOT, args: ['--import', 'tsx', 'bench/bare-proxy.ts', upstreamOrigin], ready: /"port":(\d+)/ });
  const gateway = await startNode({
    name: 'gateway',
    cwd: ROOT,
    args: [gatewayMain, 'start', '--config', join(ROOT, 'bench', 'gateway.bench.json'), '--port', '0'],
    ready: /listening on (http:\/\/\S+)/,
    env: { ...process.env, BENCH_UPSTREAM_URL: `${upstreamOrigin}/v1` },
  });

  const endpoints: Record<TargetName, Endpoint> = {
    direct: { origin: upstreamOrigin, path: '/v1/chat/completions', model: 'mock-small' },
    'bare proxy': { origin: `http://127.0.0.1:${bare.match[1]}`, path: '/v1/chat/completions', model: 'mock-small' },
    gateway: { origin: gateway.match[1]!, path: '/v1/chat/completions', model: 'mock/mock-small' },
  };
  log(`mock upstream ${upstreamOrigin} · bare proxy ${endpoints['bare proxy'].origin} · gateway ${endpoints.gateway.origin} (pid ${gateway.child.pid})`);

  // Every process is warmed up before any cell is measured, so the JIT has compiled the hot path
  // (a cold gateway is slower for its first few thousand requests, which production never sees).
  // This also checks that every target answers correctly before anything is measured.
  for (const target of TARGETS) {
    for (const stream of [false, true]) {
      const load = new LoadTarget(endpoints[target], 16, stream);
      const sample = await load.run(WARMUP_MS * 2);
      await load.close();
      if (errorCount(sample) > 0 || sample.latencies.length === 0) {
        throw new Error(`${target} (${stream ? 'stream' : 'JSON'}) does not answer correctly: ${sample.latencies.length} ok, errors ${JSON.stringify([...sample.errors])}`);
      }
    }
  }
  log(`warmed up; measuring ${CONCURRENCY.length * 2} cells × ${TARGETS.length} targets`);

  const pids: Record<TargetName, number | undefined> = { direct: upstream.child.pid, 'bare proxy': bare.child.pid, gateway: gateway.child.pid };
  const cells: Cell[] = [];
  for (const stream of [false, true]) {
    for (const concurrency of CONCURRENCY) cells.push(await measureCell(endpoints, pids, stream, concurrency));
  }

  const gatewayLogLines = gateway.laterOutput().split('\n').filter((line) => line.trim() !== '').length;
  const rssMb = { gateway: peakRssMb(gateway.child.pid), 'bare proxy': peakRssMb(bare.child.pid), direct: peakRssMb(upstream.child.pid) };
  const report = renderReport(cells, {
    date: new Date(),
    cores: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown CPU',
    node: process.version,
    durationMs: DURATION_MS,
    warmupMs: WARMUP_MS,
    rounds: ROUNDS,
    loadAverage: { start: loadBefore, end: loadavg()[0]! },
    rssMb,
    gatewayLogLines,
  });
  killAll();
  process.stdout.write(`\n${report}\n`);
  if (gatewayLogLines > 0) log(`the gateway logged under load (it should not):\n${gateway.laterOutput().slice(-2000)}`);

  const errors = totalErrors(cells);
  if (errors > 0) {
    log(`${errors} requests failed: these numbers measure errors, not the gateway. docs/performance.md was not updated.`);
    return 1;
  }
  if (WRITE_DOC) {
    writeResults(join(ROOT, 'docs', 'performance.md'), report, process.version);
    log('results written to docs/performance.md');
  }
  return 0;
}

/** `pids`: the process serving each target, whose CPU time per request is reported. */
async function measureCell(endpoints: Record<TargetName, Endpoint>, pids: Record<TargetName, number | undefined>, stream: boolean, concurrency: number): Promise<Cell> {
  const loads = Object.fromEntries(TARGETS.map((t) => [t, new LoadTarget(endpoints[t], concurrency, stream)])) as Record<TargetName, LoadTarget>;
  const samples = Object.fromEntries(TARGETS.map((t) => [t, emptySample()])) as Record<TargetName, Sample>;
  try {
    for (const target of TARGETS) await loads[target].run(WARMUP_MS);
    // Alternate the order between rounds so that no target always runs first, or last.
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? TARGETS : [...TARGETS].reverse();
      for (const target of order) {
        const cpuBefore = cpuTimeMs(pids[target]);
        await loads[target].run(DURATION_MS / ROUNDS, samples[target]);
        samples[target].serverCpuMs += cpuTimeMs(pids[target]) - cpuBefore;
      }
    }
  } finally {
    await Promise.all(TARGETS.map((t) => loads[t].close()));
  }
  const line = TARGETS.map((t) => {
    const s = samples[t];
    const errors = errorCount(s);
    return `${t} ${((s.latencies.length / s.elapsedMs) * 1000).toFixed(0)} req/s${errors > 0 ? ` (${errors} ERRORS)` : ''}`;
  }).join(' · ');
  log(`${stream ? 'stream' : 'JSON  '} c=${String(concurrency).padEnd(3)} ${line}`);
  return { stream, concurrency, samples };
}

function log(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

installCleanup();
main().then(
  (code) => {
    killAll();
    process.exit(code);
  },
  (error: Error) => {
    log(`failed: ${error.stack ?? error.message}`);
    killAll();
    process.exit(1);
  },
);
