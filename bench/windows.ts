/**
 * `npm run bench:windows`: is a target's CPU a request a state of its process, or does it move
 * within one? `npm run bench` starts one process per target, so a cell that moves from run to run
 * could be either; this starts several processes of each target in turn and measures consecutive
 * windows of requests in each. If the windows of one process agree and the processes differ, the
 * process settled into a state (as V8's pretenuring did on Node 20: performance-history.md,
 * "Objects born old"); if the windows of one process differ as much, time moves under the target.
 *
 * Each process: warmed up (BENCH_WARMUP requests, default 20,000) from BENCH_CONCURRENCY clients
 * (default 64), then BENCH_WINDOWS windows (default 4) of BENCH_WINDOW_REQUESTS each (default
 * 10,000), CPU time (all threads, user and system) read from /proc around each.
 *
 * Environment: BENCH_TARGETS (default "bare proxy,full"; the targets of `bench:instructions`),
 * BENCH_MODES (default "json"; "json,stream"), BENCH_PROCESSES (default 4 a target, started in
 * turns: one of each target, then the next round), BENCH_NODE_ARGS (node options for each target's
 * process, e.g. "--allocation-site-pretenuring" to see the state `start` now avoids).
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { list, modes, positiveInt } from './env.js';
import { cpuTimeMs, gatewayEnv, isYardstick, runBenchmark, startMockUpstreams, startNode, stopGracefully } from './processes.js';
import { configFile, gatewayLaunch, requestLoop, yardstick } from './targets.js';

const ROOT = join(import.meta.dirname, '..');
const TARGETS = list('BENCH_TARGETS', 'bare proxy,full');
const MODES = modes('json');
const PROCESSES = positiveInt('BENCH_PROCESSES', 4);
const WINDOWS = positiveInt('BENCH_WINDOWS', 4);
const WINDOW_REQUESTS = positiveInt('BENCH_WINDOW_REQUESTS', 10_000);
const WARMUP = positiveInt('BENCH_WARMUP', 20_000);
const CONCURRENCY = positiveInt('BENCH_CONCURRENCY', 64);
const NODE_ARGS = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);

const log = (message: string) => process.stderr.write(`bench:windows: ${message}\n`);

async function main(): Promise<number> {
  const upstreams = await startMockUpstreams();
  const work = mkdtempSync(join(tmpdir(), 'bench-windows-'));
  const lines: string[] = [];
  for (const mode of MODES) {
    const windows = new Map<string, number[][]>(TARGETS.map((target) => [target, []]));
    for (let round = 1; round <= PROCESSES; round++) {
      for (const target of TARGETS) {
        const measured = await measureProcess(target, mode === 'stream', upstreams, work);
        windows.get(target)!.push(measured);
        log(`${target}, ${mode}, process ${round}: ${measured.map((us) => us.toFixed(0)).join(' ')} µs a request`);
      }
    }
    lines.push(`| target | mode | each process's windows (µs of CPU a request) | median | spread within a process (largest) | spread between processes' medians |`, '| --- | --- | --- | --: | --: | --: |');
    for (const [target, processes] of windows) {
      const within = Math.max(...processes.map(spread));
      const between = spread(processes.map(median));
      const shown = processes.map((p) => p.map((us) => us.toFixed(0)).join(' ')).join(' · ');
      lines.push(`| ${target} | ${mode} | ${shown} | ${median(processes.flat()).toFixed(0)} | ${within.toFixed(2)} | ${between.toFixed(2)} |`);
    }
    lines.push('');
  }
  process.stdout.write(`${lines.join('\n')}\nSpread: the largest over the smallest. Node ${process.version}; ${PROCESSES} processes a target, ${WINDOWS} windows of ${WINDOW_REQUESTS} requests each after ${WARMUP} to warm up, ${CONCURRENCY} clients.\n`);
  return 0;
}

/** One new process of a target: warmed up, then CPU µs a request in each window. */
async function measureProcess(target: string, stream: boolean, upstreams: { origin: string; slowOrigin: string }, work: string): Promise<number[]> {
  const cwd = mkdtempSync(join(tmpdir(), 'bench-windows-target-'));
  const launch = isYardstick(target) ? yardstick(target, upstreams, work) : gatewayLaunch(join(ROOT, 'dist', 'cli', 'main.js'), configFile(target, work));
  const env = gatewayEnv(upstreams);
  const started = await startNode({ name: target, args: [...NODE_ARGS, ...launch.args], ready: launch.ready, cwd: launch.inCheckout ? ROOT : cwd, env });
  const pid = started.child.pid!;
  const load = requestLoop(launch.origin(started.match), { 'content-type': 'application/json', ...launch.headers(cwd, env) }, stream, CONCURRENCY);
  try {
    await load.send(WARMUP);
    const measured: number[] = [];
    for (let window = 0; window < WINDOWS; window++) {
      const before = cpuTimeMs(pid);
      await load.send(WINDOW_REQUESTS);
      measured.push(((cpuTimeMs(pid) - before) * 1000) / WINDOW_REQUESTS);
    }
    return measured;
  } finally {
    await load.close();
    await stopGracefully(started.child);
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const spread = (values: number[]) => Math.max(...values) / Math.min(...values);

runBenchmark(main, log);
