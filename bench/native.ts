/**
 * `npm run bench:native`: where a target's CPU goes natively, a request at a time, by kind of work.
 * `npm run bench` says how much CPU a request costs; `bench:instructions` counts instructions at
 * low concurrency and without garbage collection's share; `--profile` sees the main thread's
 * JavaScript. This samples the whole process (every thread: SQLite's, V8's collectors, the
 * kernel's work for its system calls) under `npm run bench`'s own load (64 clients), with Linux
 * `perf` and V8's `--perf-basic-prof` naming compiled JavaScript, and sorts the samples into
 * kinds: compiled JavaScript, garbage collection, promises and async functions, JSON, strings and
 * regular expressions, SQLite, other native code (V8's builtins, Node, libuv, libc), the kernel.
 * Time moves between runs on a shared machine (the kernel's share most), so compare targets of
 * one run, and read the kinds rather than the totals.
 *
 * Each target runs alone: warmed up (BENCH_NATIVE_WARMUP requests, default 20,000), then sampled
 * (`perf record -e cpu-clock`, 4,999 a second) over BENCH_NATIVE_REQUESTS (default 30,000), about
 * a minute a target. Needs `perf` (Debian's linux-perf) and a kernel that lets it sample a process;
 * cpu-clock works where hardware counters do not (virtual machines).
 *
 * Environment: BENCH_TARGETS (default "bare proxy,full"; the targets of `bench:instructions`),
 * BENCH_MODES (default "json"; "json,stream"), BENCH_CONCURRENCY (default 64), BENCH_NATIVE_REQUESTS,
 * BENCH_NATIVE_WARMUP, BENCH_BASELINE_ROOT=<checkout> (each gateway again from that checkout's
 * built dist/, "<name> @base"). The functions that cost each target most, and what each costs more
 * than the first target, go to bench/profiles/native-<time>/.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { list, modes, positiveInt } from './env.js';
import { cpuTimeMs, gatewayEnv, isYardstick, runBenchmark, startMockUpstreams, startNode, stopGracefully } from './processes.js';
import { configFile, gatewayLaunch, requestLoop, yardstick, type Launch } from './targets.js';

const ROOT = join(import.meta.dirname, '..');
const TARGETS = list('BENCH_TARGETS', 'bare proxy,full');
const MODES = modes('json');
const CONCURRENCY = positiveInt('BENCH_CONCURRENCY', 64);
const REQUESTS = positiveInt('BENCH_NATIVE_REQUESTS', 30_000);
const WARMUP = positiveInt('BENCH_NATIVE_WARMUP', 20_000);
const SAMPLES_A_SECOND = 4999;

/** Kinds of work, by where a sample fell: the first that matches names it. */
const KINDS: ReadonlyArray<[kind: string, matches: (dso: string, symbol: string) => boolean]> = [
  ['kernel', (dso) => dso === '[kernel.kallsyms]'],
  ['SQLite', (dso) => dso === 'node_sqlite3.node'],
  ['compiled JS', (dso) => dso.startsWith('[JIT]')],
  ['GC', (_, s) => /Scaveng|Mark(ing|Compact)|Sweep|Evacuat|RecordWrite|Heap::|HeapObject::SizeFromMap|IteratePointers|MemoryAllocator|Worklist|NewSpace|PagedSpace|ArrayBufferSweeper/.test(s)],
  ['promises and async', (_, s) => /Promise|Microtask|Generator|AsyncFunction|Await/.test(s)],
  ['JSON', (_, s) => /Json/.test(s)],
  ['strings and regexps', (_, s) => /String|RegExp|Utf8|^__mem(cmp|move|cpy|set|chr)/.test(s)],
  ['other native', () => true],
];

const log = (message: string) => process.stderr.write(`bench:native: ${message}\n`);

async function main(): Promise<number> {
  try {
    execFileSync('perf', ['--version'], { stdio: 'ignore' });
  } catch {
    throw new Error('perf is not installed (Debian: apt-get install linux-perf)');
  }
  const upstreams = await startMockUpstreams();
  const work = mkdtempSync(join(tmpdir(), 'bench-native-'));
  const out = join(ROOT, 'bench', 'profiles', `native-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  mkdirSync(out, { recursive: true });
  const builds: Array<[suffix: string, root: string]> = [['', ROOT], ...(process.env.BENCH_BASELINE_ROOT ? [[' @base', process.env.BENCH_BASELINE_ROOT] as [string, string]] : [])];
  const header = `| target | mode | requests a second | CPU µs a request | sampled | ${KINDS.map(([kind]) => kind).join(' | ')} |`;
  const rows = [header, `| --- | --- | ${'--: | '.repeat(3 + KINDS.length).trim()}`];
  for (const mode of MODES) {
    let first: Map<string, number> | undefined;
    for (const target of TARGETS) {
      const config = isYardstick(target) ? undefined : configFile(target, work);
      for (const [suffix, root] of isYardstick(target) ? builds.slice(0, 1) : builds) {
        const name = `${target}${suffix}`;
        log(`${name}, ${mode}: warming up (${WARMUP} requests), then sampling ${REQUESTS}`);
        const launch = isYardstick(target) ? yardstick(target, upstreams, work) : gatewayLaunch(join(root, 'dist', 'cli', 'main.js'), config!);
        const sampled = await sampleTarget(launch, mode === 'stream', gatewayEnv(upstreams), join(work, `${name.replace(/\W+/g, '-')}-${mode}.perf`));
        const us = (samples: number) => (((samples / SAMPLES_A_SECOND) * 1e6) / REQUESTS).toFixed(1);
        const byKind = new Map<string, number>();
        let total = 0;
        for (const [key, samples] of sampled.symbols) {
          const [dso, symbol] = key.split('\t') as [string, string];
          const kind = KINDS.find(([, matches]) => matches(dso, symbol))![0];
          byKind.set(kind, (byKind.get(kind) ?? 0) + samples);
          total += samples;
        }
        rows.push(`| ${name} | ${mode} | ${Math.round(sampled.rate)} | ${Math.round(sampled.cpuUs)} | ${us(total)} | ${KINDS.map(([kind]) => us(byKind.get(kind) ?? 0)).join(' | ')} |`);
        log(rows.at(-1)!);
        const costliest = [...sampled.symbols].sort((a, b) => b[1] - a[1]).slice(0, 60);
        const lines = [`${header}\n${rows.at(-1)}`, '', 'µs a request, by function (dso, symbol):', ...costliest.map(([key, n]) => `${us(n).padStart(7)}  ${key.replace('\t', '  ')}`)];
        if (first) {
          const base = first;
          const more = [...new Set([...sampled.symbols.keys(), ...base.keys()])].map((key) => [key, (sampled.symbols.get(key) ?? 0) - (base.get(key) ?? 0)] as const).sort((a, b) => b[1] - a[1]).slice(0, 60);
          lines.push('', `µs a request more than ${TARGETS[0]}, by function:`, ...more.map(([key, n]) => `${us(n).padStart(7)}  ${key.replace('\t', '  ')}`));
        } else {
          first = sampled.symbols;
        }
        writeFileSync(join(out, `${name.replace(/\W+/g, '-')}-${mode}.txt`), `${lines.join('\n')}\n`);
      }
    }
  }
  process.stdout.write(`${rows.join('\n')}\n\nµs of CPU a request (all threads), by kind of work; functions: ${out}\n`);
  return 0;
}

/** One target: warmed up, then sampled while REQUESTS requests go through it from CONCURRENCY clients. */
async function sampleTarget(launch: Launch, stream: boolean, env: NodeJS.ProcessEnv, perfData: string) {
  const cwd = mkdtempSync(join(tmpdir(), 'bench-native-target-'));
  const target = await startNode({ name: 'target', args: ['--perf-basic-prof', ...launch.args], ready: launch.ready, cwd: launch.inCheckout ? ROOT : cwd, env });
  const pid = target.child.pid!;
  try {
    const headers = { 'content-type': 'application/json', ...launch.headers(cwd, env) };
    const load = requestLoop(launch.origin(target.match), headers, stream, CONCURRENCY);
    await load.send(WARMUP);
    const perf = spawn('perf', ['record', '-q', '-e', 'cpu-clock', '-F', String(SAMPLES_A_SECOND), '-p', String(pid), '-o', perfData], { stdio: 'ignore' });
    const perfExited = new Promise((resolve) => perf.once('exit', resolve));
    await sleep(1000);
    const cpuBefore = cpuTimeMs(pid);
    const started = performance.now();
    await load.send(REQUESTS);
    const elapsedMs = performance.now() - started;
    const cpuUs = ((cpuTimeMs(pid) - cpuBefore) * 1000) / REQUESTS;
    perf.kill('SIGINT');
    // perf writes its file as it stops; one that does not stop is not waited for forever.
    if ((await Promise.race([perfExited.then(() => true), sleep(60_000).then(() => false)])) === false) {
      perf.kill('SIGKILL');
      throw new Error('perf record did not stop within 60 s of SIGINT');
    }
    await load.close();
    return { rate: (REQUESTS / elapsedMs) * 1000, cpuUs, symbols: readPerf(perfData) };
  } finally {
    await stopGracefully(target.child);
  }
}

/** Samples by "dso\tsymbol", from `perf report`; a JIT symbol keeps its name, not its file and line, nor its process. */
function readPerf(file: string): Map<string, number> {
  const report = execFileSync('perf', ['report', '-i', file, '--stdio', '--sort', 'dso,sym', '-n', '--field-separator=|'], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, stdio: ['ignore', 'pipe', 'ignore'] });
  const symbols = new Map<string, number>();
  for (const line of report.split('\n')) {
    if (line.startsWith('#')) continue;
    const [, samples, dso, symbol] = line.split('|');
    if (symbol === undefined || !/^\s*\d+\s*$/.test(samples ?? '')) continue;
    const name = symbol.trim().replace(/^\[.\]\s+/, '').replace(/ (?:file:\/\/)?\/\S+$| node:\S+$/, '');
    // perf names JIT code after the process ("[JIT] tid 1234"): one name, so targets compare.
    const key = `${dso!.trim().replace(/^\[JIT\].*/, '[JIT]')}\t${name}`;
    symbols.set(key, (symbols.get(key) ?? 0) + Number(samples));
  }
  return symbols;
}

runBenchmark(main, log);
