/**
 * `npm run bench:observability`: what `gateway:metrics` and `gateway:tracing` together cost.
 *
 * Three gateways from the built `dist/` (as in production) in front of the same mock upstream: one
 * as `npm run bench` runs it with no plugins (bench/configs/no-plugins.json), one with
 * `gateway:metrics`, one with both plugins (bench/observability.bench.json) exporting every span
 * over OTLP/HTTP to a local collector (bench/otlp-sink.ts, its own process), while this process
 * scrapes `/metrics` every second, as Prometheus would. Each cell (JSON/stream × concurrency) warms
 * them up, then measures them in interleaved rounds, so a burst of unrelated load on the machine
 * hits them alike. The table goes to stdout and replaces the observability section of
 * docs/performance.md.
 *
 * Environment: BENCH_DURATION_MS (measured time per gateway and cell, default 6000),
 * BENCH_WARMUP_MS (default 1500), BENCH_ROUNDS (default 4), BENCH_CONCURRENCY (default "1,16,64"),
 * BENCH_WRITE_DOC=0 to leave the doc alone.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { LoadTarget, emptySample, errorCount, percentiles, warmUp, type Endpoint, type Sample } from './load.js';
import { cpuTimeMs, killAll, runBenchmark, startGatewayProcess, startMockUpstreams, startNode } from './processes.js';
import { positiveInt } from './env.js';

const ROOT = join(import.meta.dirname, '..');
const DURATION_MS = positiveInt('BENCH_DURATION_MS', 6000);
const WARMUP_MS = positiveInt('BENCH_WARMUP_MS', 1500);
const ROUNDS = positiveInt('BENCH_ROUNDS', 4);
const CONCURRENCY = (process.env.BENCH_CONCURRENCY ?? '1,16,64').split(',').map(Number);
const WRITE_DOC = process.env.BENCH_WRITE_DOC !== '0';
const GATEWAYS = ['plain', 'metrics', 'metrics + tracing'] as const;
type GatewayName = (typeof GATEWAYS)[number];
const START = '<!-- bench:observability:start -->';
const END = '<!-- bench:observability:end -->';

interface Cell {
  stream: boolean;
  concurrency: number;
  samples: Record<GatewayName, Sample>;
}

async function main(): Promise<number> {
  const gatewayMain = join(ROOT, 'dist', 'cli', 'main.js');
  if (!existsSync(gatewayMain)) throw new Error(`${gatewayMain} is missing: run \`npm run build\` first (npm run bench:observability does)`);
  const loadBefore = loadavg()[0]!;

  const upstream = await startMockUpstreams();
  const sink = await startNode({ name: 'OTLP collector', cwd: ROOT, args: ['--import', 'tsx', 'bench/otlp-sink.ts'], ready: /"port":(\d+)/ });
  const sinkOrigin = `http://127.0.0.1:${sink.match[1]}`;
  const env: NodeJS.ProcessEnv = { ...process.env, BENCH_UPSTREAM_URL: `${upstream.origin}/v1`, BENCH_SLOW_UPSTREAM_URL: `${upstream.slowOrigin}/v1` };
  delete env.OTEL_EXPORTER_OTLP_ENDPOINT;
  const start = (name: string, config: string, extra: NodeJS.ProcessEnv = {}) => startGatewayProcess({ name, main: gatewayMain, config: join(ROOT, 'bench', config), cwd: ROOT, env: { ...env, ...extra } });
  const plain = await start('gateway', 'configs/no-plugins.json');
  // The same config, with no endpoint for tracing: gateway:tracing does nothing, gateway:metrics works.
  const metricsOnly = await start('gateway with metrics', 'observability.bench.json');
  const observed = await start('gateway with metrics and tracing', 'observability.bench.json', { OTEL_EXPORTER_OTLP_ENDPOINT: sinkOrigin, OTEL_SERVICE_NAME: 'llm-gateway-bench' });
  const gateways = { plain, metrics: metricsOnly, 'metrics + tracing': observed };
  const endpoints = Object.fromEntries(GATEWAYS.map((g) => [g, { origin: gateways[g].origin, path: '/v1/chat/completions', model: 'mock/mock-small' }])) as Record<GatewayName, Endpoint>;
  const pids = Object.fromEntries(GATEWAYS.map((g) => [g, gateways[g].child.pid])) as Record<GatewayName, number | undefined>;

  // Prometheus's part: a scrape of each gateway with metrics every second, for the whole run.
  let scrapes = 0;
  let scrapeFailures = 0;
  const scraper = setInterval(() => {
    for (const g of ['metrics', 'metrics + tracing'] as const) {
      fetch(`${endpoints[g].origin}/metrics`)
        .then(async (res) => (res.ok && (await res.text()).includes('llm_gateway_requests_total') ? scrapes++ : scrapeFailures++))
        .catch(() => scrapeFailures++);
    }
  }, 1000);

  for (const name of GATEWAYS) await warmUp(name, endpoints[name], WARMUP_MS * 2);
  log('warmed up');

  const cells: Cell[] = [];
  for (const stream of [false, true]) {
    for (const concurrency of CONCURRENCY) {
      const loads = Object.fromEntries(GATEWAYS.map((g) => [g, new LoadTarget(endpoints[g], concurrency, stream)])) as Record<GatewayName, LoadTarget>;
      const samples = Object.fromEntries(GATEWAYS.map((g) => [g, emptySample()])) as Record<GatewayName, Sample>;
      try {
        for (const g of GATEWAYS) await loads[g].run(WARMUP_MS);
        for (let round = 0; round < ROUNDS; round++) {
          for (const g of round % 2 === 0 ? GATEWAYS : [...GATEWAYS].reverse()) {
            const before = cpuTimeMs(pids[g]);
            await loads[g].run(DURATION_MS / ROUNDS, samples[g]);
            samples[g].serverCpuMs += cpuTimeMs(pids[g]) - before;
          }
        }
      } finally {
        await Promise.all(GATEWAYS.map((g) => loads[g].close()));
      }
      cells.push({ stream, concurrency, samples });
      log(`${stream ? 'stream' : 'JSON  '} c=${String(concurrency).padEnd(3)} ${GATEWAYS.map((g) => `${g} ${rps(samples[g]).toFixed(0)} req/s`).join(' · ')}`);
    }
  }
  clearInterval(scraper);
  // Give the batch processor its next export (5 s by default) to deliver what it holds.
  await new Promise((resolve) => setTimeout(resolve, 6000));
  const spans = ((await (await fetch(`${sinkOrigin}/count`)).json()) as { spans: number }).spans;
  const served = cells.reduce((n, c) => n + c.samples['metrics + tracing'].latencies.length, 0);
  const logLines = [metricsOnly, observed].reduce((n, g) => n + g.laterOutput().split('\n').filter((l) => l.trim()).length, 0);
  const report = render(cells, { spans, served, scrapes, scrapeFailures, loadBefore, loadAfter: loadavg()[0]!, logLines });
  killAll();
  process.stdout.write(`\n${report}\n`);

  const errors = cells.reduce((n, c) => n + GATEWAYS.reduce((m, g) => m + errorCount(c.samples[g]), 0), 0);
  if (errors > 0 || scrapeFailures > 0) {
    log(`${errors} requests and ${scrapeFailures} scrapes failed: docs/performance.md was not updated.`);
    return 1;
  }
  if (WRITE_DOC) {
    const file = join(ROOT, 'docs', 'performance.md');
    const doc = readFileSync(file, 'utf8');
    if (!doc.includes(START) || !doc.includes(END)) throw new Error(`docs/performance.md has no ${START} … ${END} section`);
    writeFileSync(file, doc.slice(0, doc.indexOf(START) + START.length) + '\n' + report + '\n' + doc.slice(doc.indexOf(END)));
    log('results written to docs/performance.md');
  }
  return 0;
}

const rps = (s: Sample) => (s.latencies.length / s.elapsedMs) * 1000;
const cpuUs = (s: Sample) => (s.serverCpuMs * 1000) / s.latencies.length;

function render(cells: readonly Cell[], run: { spans: number; served: number; scrapes: number; scrapeFailures: number; loadBefore: number; loadAfter: number; logLines: number }): string {
  const change = (b: Sample, a: Sample) => {
    const pct = (rps(b) / rps(a) - 1) * 100;
    return `${pct >= 0 ? '+' : ''}${pct.toFixed(1)} %`;
  };
  const rows = cells.map((cell) => {
    const [a, m, b] = [cell.samples.plain, cell.samples.metrics, cell.samples['metrics + tracing']];
    const p50 = (s: Sample) => percentiles(s.latencies).p50.toFixed(2);
    return `| ${cell.stream ? 'stream' : 'JSON'} | ${cell.concurrency} | ${rps(a).toFixed(0)} | ${rps(m).toFixed(0)} (${change(m, a)}) | ${rps(b).toFixed(0)} (${change(b, a)}) | ${p50(a)} / ${p50(m)} / ${p50(b)} | ${cpuUs(a).toFixed(0)} / ${cpuUs(m).toFixed(0)} / ${cpuUs(b).toFixed(0)} |`;
  });
  return [
    `Run of ${new Date().toISOString().slice(0, 10)} on ${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, Node ${process.version}; ${DURATION_MS} ms per gateway and cell in ${ROUNDS} interleaved rounds; load average ${run.loadBefore.toFixed(1)} → ${run.loadAfter.toFixed(1)}.`,
    '',
    '| answer | concurrency | plain req/s | metrics req/s | metrics + tracing req/s | p50 ms (plain / metrics / both) | gateway CPU µs per request (plain / metrics / both) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    `The collector received ${run.spans} spans for ${run.served} measured requests (plus warm-up; two spans each: SERVER and CLIENT); Prometheus-style scrapes: ${run.scrapes} ok, ${run.scrapeFailures} failed; the gateways with the plugins logged ${run.logLines} lines under load.`,
  ].join('\n');
}

function log(message: string): void {
  process.stderr.write(`bench:observability: ${message}\n`);
}

runBenchmark(main, log);
