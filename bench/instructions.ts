/**
 * `npm run bench:instructions`: the instructions a gateway executes per request, counted by
 * valgrind's callgrind. CPU time a request moves by 10–30 % between runs on a shared 2-core
 * machine; an instruction count repeats within a few per cent, so a change of 2 % can be seen,
 * and where the instructions go is named down to the function (V8's JIT code too, from the
 * `--perf-basic-prof` map the gateway writes). Instructions are not time (a SIMD `memcmp` does
 * much per instruction, a cache miss little), so what it finds is confirmed with `npm run bench`.
 *
 * Each target runs alone under callgrind (about 50 times slower than natively): the mock upstream
 * in its own process, a warm-up (BENCH_INSTR_WARMUP requests, default 15,000: V8 must have
 * finished compiling, which takes more than 5,000 here), then the counters are zeroed, then
 * BENCH_INSTR_REQUESTS (default 500) requests from 4 clients, then a dump. About 4 minutes a
 * target and mode on this machine. Reported per request: all instructions; those of major
 * garbage collections and of V8's optimising compilers apart (a window has one or has none: a
 * warmed-up gateway still compiles a function again now and then), so compare the rest; and the
 * rest without scavenges too: a window holds a handful, and what each copies depends on what is in
 * flight when it runs (the usage log's queue), so they moved by 20 thousand instructions a request
 * between runs of one build. Compare plugins and small changes without them. The last column is
 * V8's runtime making literals with computed keys: tens of thousands a request when the process
 * warmed up into the state where Node's `process.nextTick` goes through it (callgrind.ts), a
 * difference between two targets that no change of theirs made. That state is callgrind's: no
 * process running natively was seen in it (sampled with `perf`, Node 20 and 24), so a target that
 * lands in it is counted again in a new process, up to BENCH_INSTR_ATTEMPTS times in all (default
 * 3); the row says how many it took, and the last count stands if every one landed there. So is a
 * window with a major collection: after one V8 optimises again, and the main thread runs less
 * optimised code meanwhile, work the columns without GC and compiling still hold (50 thousand
 * instructions a streamed request more in such a window of the full pipeline less one plugin).
 * Natively a major collection comes every ~6,700 streamed requests through the full pipeline,
 * under callgrind in about every other window of 500.
 * The 60 costliest functions of each go to bench/profiles/instructions-<time>/.
 *
 * Environment: BENCH_TARGETS (default "no plugins,full"; also "default", "full without
 * gateway:auth" and any plugin of the full pipeline, a config's path, and the yardsticks "bare
 * proxy", "floor" and "floor (logged)", which say what the ratios of `npm run bench` should be
 * if instructions were time), BENCH_MODES (default
 * "json"; "json,stream"), BENCH_CALLGRIND_ARGS (more valgrind options; `--cache-sim=yes
 * --branch-sim=yes` adds each window's simulated cache misses and mispredicted branches a request,
 * about twice as slow), BENCH_GATEWAY_ROOT=<checkout>
 * (the gateways from that checkout's built dist/), BENCH_BASELINE_ROOT=<checkout> (each target
 * again from that checkout's built dist/, "<name> @base"; the same checkout with
 * BENCH_BASELINE_NODE_ARGS compares V8 settings), BENCH_NODE_ARGS (more node options for the targets), BENCH_INSTR_REQUESTS, BENCH_INSTR_WARMUP, BENCH_INSTR_ATTEMPTS.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { readCallgrind } from './callgrind.js';
import { list, modes, positiveInt } from './env.js';
import { gatewayEnv, runBenchmark, startMockUpstreams, startNode, stopGracefully, isYardstick } from './processes.js';
import { configFile, gatewayLaunch, requestLoop, yardstick, type Launch } from './targets.js';

const ROOT = join(import.meta.dirname, '..');
const TARGETS = list('BENCH_TARGETS', 'no plugins,full');
const MODES = modes('json');
const REQUESTS = positiveInt('BENCH_INSTR_REQUESTS', 500);
const WARMUP = positiveInt('BENCH_INSTR_WARMUP', 15_000);
const ATTEMPTS = positiveInt('BENCH_INSTR_ATTEMPTS', 3);
/** Instructions a request in V8's literal runtime past which a window is in the state no native process was seen in. */
const LITERAL_STATE = 10_000;

/** Instructions a request in major collections past which a window holds one (windows with one held 277–287 thousand, those without none). */
const MAJOR_GC_STATE = 1_000;
const CLIENTS = 4;
/** More valgrind options, e.g. `--separate-callers3=*Runtime_SetKeyedProperty*` to see who reaches a runtime function through V8's C entry. */
const EXTRA_VALGRIND_ARGS = (process.env.BENCH_CALLGRIND_ARGS ?? '').split(' ').filter(Boolean);
/** More node options for the target, e.g. `--max-inlined-bytecode-size=0`: without inlining, a runtime call is charged to the function that makes it rather than to the one it was inlined into. */
const NODE_ARGS = (process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
/** More node options for the "@base" targets alone, e.g. `--heap-growing-percent=20` with BENCH_BASELINE_ROOT=. for the same build with another V8 setting. */
const BASELINE_NODE_ARGS = (process.env.BENCH_BASELINE_NODE_ARGS ?? '').split(' ').filter(Boolean);

const log = (message: string) => process.stderr.write(`bench:instructions: ${message}\n`);

/** A window's count, a request's share of it, as the table shows it. */
const per = (n: number) => Math.round(n / REQUESTS).toLocaleString('en-US');

/** Why a window is not the state the gateway runs in natively between major collections, or undefined when it is. */
function unsettled(counts: { literalRuntime: number; majorGc: number }): string | undefined {
  if (counts.literalRuntime / REQUESTS > LITERAL_STATE) return `${per(counts.literalRuntime)} instructions a request in V8's literal runtime (callgrind's nextTick state)`;
  if (counts.majorGc / REQUESTS > MAJOR_GC_STATE) return 'a major collection in the window (V8 optimises again after one)';
  return undefined;
}

async function main(): Promise<number> {
  const upstreams = await startMockUpstreams();
  const work = mkdtempSync(join(tmpdir(), 'bench-instructions-'));
  const out = join(ROOT, 'bench', 'profiles', `instructions-${new Date().toISOString().replace(/[:.]/g, '-')}`);
  mkdirSync(out, { recursive: true });
  const builds: Array<[suffix: string, root: string, nodeArgs: string[]]> = [['', process.env.BENCH_GATEWAY_ROOT ?? ROOT, []], ...(process.env.BENCH_BASELINE_ROOT ? [[' @base', process.env.BENCH_BASELINE_ROOT, BASELINE_NODE_ARGS] as [string, string, string[]]] : [])];
  const rows: string[] = ['| target | mode | instructions a request | without major GC and compiling | without any GC and compiling | major GC | compiling | scavenges | V8 runtime for literals |', '| --- | --- | --: | --: | --: | --: | --: | --: | --: |'];
  for (const target of TARGETS) {
    const config = isYardstick(target) ? undefined : configFile(target, work);
    for (const mode of MODES) {
      // A yardstick is bench/'s own code, the same for every build: counted once.
      for (const [suffix, root, nodeArgs] of isYardstick(target) ? builds.slice(0, 1) : builds) {
        const name = `${target}${suffix}`;
        log(`${name}, ${mode}: warming up (${WARMUP} requests), then counting ${REQUESTS}`);
        const launch: Launch = isYardstick(target) ? yardstick(target, upstreams, work) : gatewayLaunch(join(root, 'dist', 'cli', 'main.js'), config!);
        const count = () => countTarget({ ...launch, args: [...nodeArgs, ...launch.args] }, mode === 'stream', gatewayEnv(upstreams));
        let counts = await count();
        let attempt = 1;
        for (let why = unsettled(counts); why !== undefined && attempt < ATTEMPTS; why = unsettled(counts), attempt++) {
          log(`${name}, ${mode}: ${why}: counting again in a new process`);
          counts = await count();
        }
        rows.push(`| ${name} | ${mode} | ${per(counts.total)} | ${per(counts.total - counts.majorGc - counts.compilation)} | ${per(counts.total - counts.majorGc - counts.compilation - counts.scavenges)} | ${per(counts.majorGc)} | ${per(counts.compilation)} | ${per(counts.scavenges)} | ${per(counts.literalRuntime)}${attempt > 1 ? ` (count ${attempt})` : ''} |`);
        const top = counts.functions.slice(0, 60).map(([fn, n]) => `${per(n).padStart(9)}  ${fn}`);
        const simulated = simulatedLine(counts.events);
        writeFileSync(join(out, `${name.replace(/\W+/g, '-')}-${mode}.txt`), `${rows[0]}\n${rows.at(-1)}\n${simulated ? `\n${simulated}\n` : ''}\nexclusive instructions a request, by function:\n${top.join('\n')}\n`);
        log(rows.at(-1)!);
        if (simulated) log(`${name}, ${mode}: ${simulated}`);
      }
    }
  }
  process.stdout.write(`${rows.join('\n')}\n\nfunctions: ${out}\n`);
  return 0;
}

/**
 * With the simulators on (`BENCH_CALLGRIND_ARGS="--cache-sim=yes --branch-sim=yes"`), what the whole
 * window missed a request: first-level instruction and data cache misses, last-level misses, and
 * mispredicted conditional and indirect branches. Instructions are not time partly because of
 * these; compare targets by them where instructions alone do not explain a difference in CPU.
 */
function simulatedLine(events: Record<string, number>): string | undefined {
  if (!('I1mr' in events) && !('Bcm' in events)) return undefined;
  const at = (...names: string[]) => per(names.reduce((sum, name) => sum + (events[name] ?? 0), 0));
  const parts = [`instructions ${at('Ir')}`];
  if ('I1mr' in events) parts.push(`I1 misses ${at('I1mr')}`, `D1 misses ${at('D1mr', 'D1mw')}`, `last-level misses ${at('ILmr', 'DLmr', 'DLmw')}`);
  if ('Bcm' in events) parts.push(`mispredicted branches ${at('Bcm', 'Bim')} of ${at('Bc', 'Bi')}`);
  return `simulated, a request: ${parts.join(', ')}`;
}

/** One target under callgrind: warmed up, zeroed, loaded with REQUESTS requests, dumped and read. */
async function countTarget(launch: Launch, stream: boolean, env: NodeJS.ProcessEnv) {
  const cwd = mkdtempSync(join(tmpdir(), 'bench-callgrind-'));
  const headers: Record<string, string> = { 'content-type': 'application/json', ...launch.headers(cwd, env) };
  const gateway = await startNode({
    name: 'target under callgrind',
    // --smc-check: V8 writes and rewrites machine code; --trace-children: `start` may execute itself again (young-generation flag); not tsx's esbuild service.
    wrapper: ['valgrind', '--tool=callgrind', '--smc-check=all-non-file', '--trace-children=yes', '--trace-children-skip=*esbuild*', `--callgrind-out-file=${join(cwd, 'callgrind.out.%p')}`, ...EXTRA_VALGRIND_ARGS],
    args: ['--perf-basic-prof', '--no-short-builtin-calls', ...NODE_ARGS, ...launch.args],
    ready: launch.ready,
    cwd: launch.inCheckout ? ROOT : cwd,
    env,
    timeoutMs: 300_000,
  });
  const child = gateway.child;
  try {
    const load = requestLoop(launch.origin(gateway.match), headers, stream, CLIENTS);
    await load.send(WARMUP);
    await sleep(2000);
    execFileSync('callgrind_control', ['--zero', String(child.pid)], { stdio: 'ignore' });
    await load.send(REQUESTS);
    // The usage log writes behind the requests, at least once a second: let it land inside the window.
    await sleep(1500);
    execFileSync('callgrind_control', ['--dump', String(child.pid)], { stdio: 'ignore' });
    await sleep(1000);
    await load.close();
    const dump = readdirSync(cwd).find((file) => /^callgrind\.out\.\d+\.\d+$/.test(file));
    if (!dump) throw new Error(`callgrind wrote no dump in ${cwd}`);
    return readCallgrind(join(cwd, dump), `/tmp/perf-${child.pid}.map`);
  } finally {
    await stopGracefully(child);
  }
}

runBenchmark(main, log);
