/**
 * `npm run bench`: the gateway's added latency and throughput against the upstream called
 * directly, in the same run, beside a bare Koa + undici proxy.
 *
 * Processes: the mock upstream, the bare proxy and the gateway (built `dist/`, as in production)
 * each run on their own; this process generates the load. Every cell (target × concurrency ×
 * streaming) is warmed up, then measured for a fixed time. Results go to stdout and to
 * docs/performance.md.
 *
 * BENCH_DURATION_MS (default 4000) and BENCH_WARMUP_MS (default 1000) shorten or lengthen a run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { runLoad, type LoadResult } from './load.js';

const ROOT = join(import.meta.dirname, '..');
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 4000);
const WARMUP_MS = Number(process.env.BENCH_WARMUP_MS ?? 1000);
const CONCURRENCY = [1, 16, 64];
const children: ChildProcess[] = [];

type Target = 'direct' | 'bare proxy' | 'gateway';
interface Cell {
  stream: boolean;
  concurrency: number;
  results: Record<Target, LoadResult>;
}

function killAll(): void {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
}
process.on('exit', killAll);
process.on('SIGINT', () => process.exit(130));
process.on('SIGTERM', () => process.exit(143));

/** Spawns a process and resolves with the first match of `pattern` in its output. */
function startProcess(command: string, args: string[], pattern: RegExp, env: NodeJS.ProcessEnv = process.env): Promise<{ child: ChildProcess; match: RegExpExecArray }> {
  const child = spawn(command, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args.join(' ')} did not start:\n${output}`)), 20_000);
    const onData = (data: Buffer) => {
      output += data.toString();
      const match = pattern.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, match });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${args.join(' ')} exited with ${code}:\n${output}`));
    });
  });
}

const tsx = join(ROOT, 'node_modules', '.bin', 'tsx');

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kb / 1024;
}

async function main(): Promise<void> {
  const upstream = await startProcess(tsx, [join(ROOT, 'bench', 'upstream-server.ts')], /"port":(\d+)/);
  const upstreamOrigin = `http://127.0.0.1:${upstream.match[1]}`;
  const bare = await startProcess(tsx, [join(ROOT, 'bench', 'bare-proxy.ts'), upstreamOrigin], /"port":(\d+)/);
  const gateway = await startProcess(
    process.execPath,
    [join(ROOT, 'dist', 'cli', 'main.js'), 'start', '--config', join(ROOT, 'bench', 'gateway.bench.json'), '--port', '0'],
    /listening on (http:\/\/\S+)/,
    { ...process.env, BENCH_UPSTREAM_URL: `${upstreamOrigin}/v1` },
  );

  const urls: Record<Target, { url: string; model: string }> = {
    direct: { url: `${upstreamOrigin}/v1/chat/completions`, model: 'mock-small' },
    'bare proxy': { url: `http://127.0.0.1:${bare.match[1]}/v1/chat/completions`, model: 'mock-small' },
    gateway: { url: `${gateway.match[1]}/v1/chat/completions`, model: 'mock/mock-small' },
  };

  // JIT warm-up of every process before any cell is measured: a cold gateway is slower for its
  // first few thousand requests, which is not what production sees.
  for (const target of Object.keys(urls) as Target[]) {
    for (const stream of [false, true]) await runLoad({ ...urls[target], concurrency: 16, stream, durationMs: WARMUP_MS * 2 });
  }

  const cells: Cell[] = [];
  for (const stream of [false, true]) {
    for (const concurrency of CONCURRENCY) {
      const results = {} as Record<Target, LoadResult>;
      for (const target of Object.keys(urls) as Target[]) {
        const load = { ...urls[target], concurrency, stream };
        await runLoad({ ...load, durationMs: WARMUP_MS });
        results[target] = await runLoad({ ...load, durationMs: DURATION_MS });
        const r = results[target];
        process.stderr.write(`${stream ? 'stream' : 'json  '} c=${String(concurrency).padEnd(2)} ${target.padEnd(10)} ${r.rps.toFixed(0).padStart(6)} req/s  p50 ${r.latencyMs.p50.toFixed(3)} ms  p99 ${r.latencyMs.p99.toFixed(3)} ms${r.errors ? `  ERRORS ${r.errors}` : ''}\n`);
      }
      cells.push({ stream, concurrency, results });
    }
  }
  const rss = peakRssMb(gateway.child.pid!);
  const report = renderReport(cells, rss);
  process.stdout.write(`${report}\n`);
  writePerformanceDoc(report);
  const errors = cells.flatMap((c) => Object.values(c.results)).reduce((n, r) => n + r.errors, 0);
  if (errors > 0) {
    process.stderr.write(`${errors} requests failed during the benchmark: the numbers above are not trustworthy\n`);
    process.exitCode = 1;
  }
}

const ms = (value: number) => value.toFixed(3);

function renderReport(cells: Cell[], rssMb: number): string {
  const lines: string[] = [];
  lines.push(`Run ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC · node ${process.version} · ${cpus().length} cores · ${DURATION_MS} ms per cell after ${WARMUP_MS} ms warm-up`, '');
  lines.push('| mode | c | direct req/s | bare proxy req/s | gateway req/s | gateway / direct | gateway / bare | direct p50 / p99 ms | gateway p50 / p99 ms | added p50 / p99 ms |');
  lines.push('| --- | --: | --: | --: | --: | --: | --: | --: | --: | --: |');
  for (const { stream, concurrency, results } of cells) {
    const d = results.direct;
    const b = results['bare proxy'];
    const g = results.gateway;
    const dl = stream ? d.ttftMs! : d.latencyMs;
    const gl = stream ? g.ttftMs! : g.latencyMs;
    lines.push(
      `| ${stream ? 'stream (TTFT)' : 'JSON'} | ${concurrency} | ${d.rps.toFixed(0)} | ${b.rps.toFixed(0)} | ${g.rps.toFixed(0)} | ${(g.rps / d.rps).toFixed(2)} | ${(g.rps / b.rps).toFixed(2)} | ${ms(dl.p50)} / ${ms(dl.p99)} | ${ms(gl.p50)} / ${ms(gl.p99)} | ${ms(gl.p50 - dl.p50)} / ${ms(gl.p99 - dl.p99)} |`,
    );
  }
  lines.push('', `Gateway peak RSS: ${rssMb.toFixed(0)} MB. Errors: ${cells.flatMap((c) => Object.values(c.results)).reduce((n, r) => n + r.errors, 0)}.`);
  return lines.join('\n');
}

const RESULTS_START = '<!-- bench:results:start -->';
const RESULTS_END = '<!-- bench:results:end -->';

function writePerformanceDoc(report: string): void {
  const file = join(ROOT, 'docs', 'performance.md');
  const doc = readFileSync(file, 'utf8');
  const start = doc.indexOf(RESULTS_START);
  const end = doc.indexOf(RESULTS_END);
  if (start < 0 || end < 0) throw new Error(`${file} lacks the ${RESULTS_START} / ${RESULTS_END} markers`);
  writeFileSync(file, `${doc.slice(0, start + RESULTS_START.length)}\n${report}\n${doc.slice(end)}`);
}

main().then(
  () => {
    killAll();
    process.exit(process.exitCode ?? 0);
  },
  (error: Error) => {
    process.stderr.write(`bench failed: ${error.stack ?? error.message}\n`);
    killAll();
    process.exit(1);
  },
);
