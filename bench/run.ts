/**
 * `npm run bench`: what each gateway configuration costs against a bare Koa + undici proxy
 * (bench/bare-proxy.ts) measured in the same run, on the same machine.
 *
 * Processes: the mock upstreams (bench/upstream-server.ts), the bare proxy, and one gateway per
 * configuration in bench/configs/ (built `dist/`, as in production, each in its own empty working
 * folder so its SQLite files start empty): no plugins, the shipped default (usage logger, as
 * `gateway.config.ts`), and the full pipeline (auth with a key, token counter, cost, usage logger
 * with bodies, routing, retry, circuit breaker, rate limits). This process generates the load.
 * First held streams: N concurrent slow streams through each target, for memory per open stream;
 * then every target is started again, so that the load does not meet a heap they grew. Every cell
 * (JSON/stream × concurrency) warms each target up, then measures them in interleaved rounds, so a
 * burst of unrelated load hits them alike. A process lands in a faster or slower state of its own
 * and stays there (the bare proxy's CPU a streamed request was 102 µs in one run and 333 in
 * another on one day), which moves every ratio of a run; BENCH_PROCESS_SETS=N measures every cell
 * again on N fresh sets of processes and pools what they served, so each figure spans N landings.
 * Results go to stdout and replace this Node major's results section of docs/performance.md.
 *
 * Flags: `--profile` runs the gateways and floors under `node --cpu-prof` and writes, per
 * configuration, a .cpuprofile (open it in Chrome DevTools or https://www.speedscope.app), a
 * folded-stacks file (flamegraph.pl, speedscope) and a summary of where the time goes, into
 * bench/profiles/; and, from bench/allocation-sampler.mjs, a .heapprofile of where they allocate
 * after warm-up, garbage included, summarised per request in allocations.txt. The doc is left
 * alone then (a profiled gateway is slower).
 *
 * Environment: BENCH_DURATION_MS (measured time per target and cell, default 4000),
 * BENCH_WARMUP_MS (default 1000), BENCH_ROUNDS (default 2), BENCH_PROCESS_SETS (default 1; each
 * set measures every cell for the full duration, so 3 takes three times as long), BENCH_CONCURRENCY (default "1,64"),
 * BENCH_MODES (default "json,stream"; one of them, e.g. to profile streams alone),
 * BENCH_TARGETS (default "bare proxy,floor,floor (logged),no plugins,default,full"; "direct" adds the mock called
 * directly; a path ending in .json adds a gateway with that config, named after the file; "full
 * without gateway:auth" adds the full pipeline less that plugin, to measure its share; "no plugins + 8 pass-through"
 * adds eight plugins that do nothing, to measure what the plugin contract costs), BENCH_HELD_STREAMS (concurrent slow streams per target, default 200; 5000 as in
 * issue 15; 0 skips), BENCH_WORKERS=N adds the full pipeline on a Redis store (BENCH_REDIS_URL, default
 * redis://127.0.0.1:6379) with one worker and with `--workers N`,
 * BENCH_GATEWAY_ROOT=<checkout> runs the gateways from another checkout's built dist/,
 * BENCH_BASELINE_ROOT=<checkout> adds each gateway again from that checkout's built dist/, named
 * "<name> @base" (a before/after comparison in one run, interleaved, on the same load), started
 * with the node flags in BENCH_BASELINE_NODE_FLAGS if set (the same build with other V8 settings), BENCH_WRITE_DOC=0 to leave the doc alone.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { fullWithoutConfig } from './full-without.js';
import { passThroughConfig } from './pass-through.js';
import { measureHeldStreams, type HeldResult } from './held.js';
import { LoadTarget, emptySample, errorCount, warmUp, type Endpoint, type Sample } from './load.js';
import { summarizeAllocations } from './allocations.js';
import { summarizeProfiles } from './profile.js';
import { cpuTimeMs, createBenchKey, gatewayEnv, killAll, rssMb as currentRssMb, runBenchmark, startGatewayProcess, startMockUpstreams, startNode, stopGracefully, writeFullOnRedis, yardstickLaunch, type Started } from './processes.js';
import { renderReport, totalErrors, writeResults, type Cell } from './report.js';
import { list, modes, nonNegativeInt, positiveInt } from './env.js';
import { SEMI_SPACE_CAP_MB } from '../cli/young-generation.js';

const ROOT = join(import.meta.dirname, '..');
const DURATION_MS = positiveInt('BENCH_DURATION_MS', 4000);
const WARMUP_MS = positiveInt('BENCH_WARMUP_MS', 1000);
const ROUNDS = positiveInt('BENCH_ROUNDS', 2);
const PROCESS_SETS = positiveInt('BENCH_PROCESS_SETS', 1);
const HELD = nonNegativeInt('BENCH_HELD_STREAMS', 200);
const WORKERS = nonNegativeInt('BENCH_WORKERS', 0);
const CONCURRENCY = list('BENCH_CONCURRENCY', '1,64').map(Number);
const MODES = modes('json,stream');
const PROFILE = process.argv.includes('--profile');
const WRITE_DOC = process.env.BENCH_WRITE_DOC !== '0' && !PROFILE;
const GATEWAY_CONFIGS: Record<string, string> = { 'no plugins': 'no-plugins.json', default: 'default.json', full: 'full.json' };
const WANTED = list('BENCH_TARGETS', 'bare proxy,floor,floor (logged),no plugins,default,full');
const PIN = process.env.BENCH_PIN === '1';
const CORES = cpus().length;
/** With BENCH_PIN: the measured proxies' core, and the rest's. */
const TARGET_CPUS = PIN ? String(CORES - 1) : undefined;
const LOAD_CPUS = PIN ? `0-${Math.max(0, CORES - 2)}` : undefined;

interface Target {
  readonly name: string;
  readonly endpoint: Endpoint;
  /** Endpoint for held streams (the slow upstream). */
  readonly slow: Endpoint;
  readonly process: Started;
  /** Starts the same target again in a new process (absent for the mock called directly). */
  readonly relaunch?: () => Promise<Target>;
}

async function main(): Promise<number> {
  if (CONCURRENCY.some((c) => !Number.isInteger(c) || c < 1)) throw new Error('BENCH_CONCURRENCY must list positive integers, e.g. "1,64"');
  // A profile is written when its process exits: a second set would start profiles of its own.
  if (PROFILE && PROCESS_SETS > 1) throw new Error('--profile measures one set of processes: leave BENCH_PROCESS_SETS unset');
  const gatewayMain = join(process.env.BENCH_GATEWAY_ROOT ?? ROOT, 'dist', 'cli', 'main.js');
  if (!existsSync(gatewayMain)) throw new Error(`${gatewayMain} is missing: run \`npm run build\` first (npm run bench does)`);
  if (PIN) {
    if (CORES < 2) throw new Error('BENCH_PIN needs at least 2 cores');
    execFileSync('taskset', ['-p', '-c', LOAD_CPUS!, String(process.pid)], { stdio: 'ignore' });
  }
  const loadBefore = loadavg()[0]!;
  const work = mkdtempSync(join(tmpdir(), 'llm-gateway-bench-'));
  const profileDir = join(ROOT, 'bench', 'profiles', new Date().toISOString().replace(/[:.]/g, '-'));
  const profileFolder = (name: string) => name.replace(/\W+/g, '-');
  /**
   * With --profile: node flags that write a target's CPU profile into its own folder of this run's,
   * and preload the allocation sampler (bench/allocation-sampler.mjs) writing there too.
   */
  const profiledNames = new Set<string>();
  const profiled = (name: string) => profiledNames.has(name);
  const profileArgs = (name: string): string[] => {
    if (!PROFILE) return [];
    profiledNames.add(name);
    const folder = join(profileDir, profileFolder(name));
    mkdirSync(folder, { recursive: true });
    const sampler = pathToFileURL(join(ROOT, 'bench', 'allocation-sampler.mjs'));
    sampler.searchParams.set('dir', folder);
    return ['--cpu-prof', '--cpu-prof-dir', folder, '--import', sampler.href];
  };

  const { process: upstream, origin: upstreamOrigin, slowOrigin } = await startMockUpstreams({ cpus: LOAD_CPUS });
  const targets: Target[] = [];
  const chat = (origin: string, model: string, headers?: Record<string, string>, path = '/v1/chat/completions'): Endpoint => ({ origin, path, model, ...(headers ? { headers } : {}) });
  if (WANTED.includes('direct')) targets.push({ name: 'direct', endpoint: chat(upstreamOrigin, 'mock-small'), slow: chat(slowOrigin, 'mock-small'), process: upstream });
  if (WANTED.includes('bare proxy')) {
    const launchBare = async (): Promise<Target> => {
      const launch = yardstickLaunch('bare proxy', { origin: upstreamOrigin, slowOrigin }, work);
      const bare = await startNode({ name: 'bare proxy', cwd: ROOT, args: launch.args, cpus: TARGET_CPUS, ready: launch.ready });
      const origin = launch.origin(bare.match);
      return { name: 'bare proxy', endpoint: chat(origin, 'mock-small'), slow: chat(origin, 'mock-small', undefined, '/slow/v1/chat/completions'), process: bare, relaunch: launchBare };
    };
    targets.push(await launchBare());
  }
  // The floors (bench/floor-proxy.ts): the bare proxy plus the work no accounting gateway can skip;
  // "floor (logged)" adds a key, counters and a SQLite usage row per request, the full pipeline's floor.
  for (const name of ['floor', 'floor (logged)'] as const) {
    if (!WANTED.includes(name)) continue;
    const launchFloor = async (): Promise<Target> => {
      const launch = yardstickLaunch(name, { origin: upstreamOrigin, slowOrigin }, work);
      const floor = await startNode({ name, cwd: ROOT, args: [...profileArgs(name), ...launch.args], cpus: TARGET_CPUS, ready: launch.ready });
      const origin = launch.origin(floor.match);
      const headers = launch.headers;
      return { name, endpoint: chat(origin, 'mock/mock-small', headers), slow: chat(origin, 'mock/mock-small', headers, '/slow/v1/chat/completions'), process: floor, relaunch: launchFloor };
    };
    targets.push(await launchFloor());
  }
  const env = gatewayEnv({ origin: upstreamOrigin, slowOrigin });
  const baselineMain = process.env.BENCH_BASELINE_ROOT ? join(process.env.BENCH_BASELINE_ROOT, 'dist', 'cli', 'main.js') : undefined;
  if (baselineMain && !existsSync(baselineMain)) throw new Error(`${baselineMain} is missing: build the baseline checkout first`);
  const gateways: Array<[string, string, string[], string]> = Object.entries(GATEWAY_CONFIGS)
    .filter(([name]) => WANTED.includes(name))
    .concat(WANTED.filter((t) => t.endsWith('.json')).map((path) => [basename(path, '.json'), resolve(path)]))
    .concat(WANTED.flatMap((t) => {
      const file = fullWithoutConfig(t, join(ROOT, 'bench', 'configs', GATEWAY_CONFIGS.full!), work) ?? passThroughConfig(t, join(ROOT, 'bench', 'configs', GATEWAY_CONFIGS['no plugins']!), work);
      return file ? [[t, file]] : [];
    }))
    .flatMap(([name, file]): Array<[string, string, string[], string]> => [[name, file, [], gatewayMain], ...(baselineMain ? [[`${name} @base`, file, [], baselineMain] as [string, string, string[], string]] : [])]);
  if (WORKERS > 0) {
    // Workers share state through Redis, as replicas do (a SQLite store is refused with --workers);
    // one worker on the same store is the scaling baseline.
    const onRedis = writeFullOnRedis(join(work, 'full-redis.json'));
    gateways.push(['full (redis), 1 worker', onRedis, [], gatewayMain], [`full (redis), ${WORKERS} workers`, onRedis, ['--workers', String(WORKERS)], gatewayMain]);
  }
  const baselineFlags = (process.env.BENCH_BASELINE_NODE_FLAGS ?? '').split(' ').filter(Boolean);
  for (const [name, file, extra, main] of gateways) {
    const cwd = join(work, name.replace(/\W+/g, '-'));
    mkdirSync(cwd);
    const config = isAbsolute(file) ? file : join(ROOT, 'bench', 'configs', file);
    const headers = basename(file).includes('full') ? { authorization: `Bearer ${createBenchKey({ main, config, cwd, env })}` } : undefined;
    // Relaunched in the same folder and on the same store: the key created above still holds.
    const launchGateway = async (): Promise<Target> => {
      // A profiled `start` keeps the process it was started as (cli/young-generation.ts), so it is given the young generation `start` would have given itself.
      const profiledYoung = PROFILE ? [`--max-semi-space-size=${SEMI_SPACE_CAP_MB}`] : [];
      const started = await startGatewayProcess({ name, main, config, cwd, env, nodeArgs: [...profileArgs(name), ...profiledYoung, ...(name.endsWith(' @base') ? baselineFlags : [])], args: extra, cpus: TARGET_CPUS });
      return { name, endpoint: chat(started.origin, 'mock/mock-small', headers), slow: chat(started.origin, 'slow/mock-small', headers), process: started, relaunch: launchGateway };
    };
    targets.push(await launchGateway());
  }
  log(`upstream ${upstreamOrigin} (slow ${slowOrigin}) · ${targets.map((t) => `${t.name} ${t.endpoint.origin} (pid ${t.process.child.pid})`).join(' · ')}`);

  // Every process is warmed up before any cell is measured, so the JIT has compiled the hot path
  // (a cold gateway is slower for its first few thousand requests, which production never sees).
  // This also checks that every target answers correctly before anything is measured.
  for (const target of targets) await warmUp(target.name, target.endpoint, WARMUP_MS * 2);
  // Profiled targets sample their allocations from now on: start-up and warm-up are left out.
  if (PROFILE) for (const target of targets) if (profiled(target.name)) target.process.child.kill('SIGUSR2');
  log(`warmed up; measuring ${CONCURRENCY.length * MODES.length} cells × ${targets.length} targets`);
  // Held streams first, on processes that have only been warmed up: after the load below their
  // heaps have grown, and new streams would fit in memory already taken.
  const held: Record<string, HeldResult> = {};
  if (HELD > 0) {
    for (const target of targets) {
      held[target.name] = await measureHeldStreams(target.slow, target.process.child.pid, HELD);
      const h = held[target.name]!;
      log(`held streams: ${target.name} ${h.completed}/${h.streams} complete, RSS ${h.rssBeforeMb.toFixed(0)}${h.few ? ` → ${h.few.rssPeakMb.toFixed(0)} (${h.few.streams})` : ''} → ${h.rssPeakMb.toFixed(0)} MB, ${h.perStreamKb.toFixed(0)} KB per stream${h.failures.size > 0 ? ` · failed: ${[...h.failures].map(([kind, n]) => `${n} × ${kind}`).join(', ')}` : ''}`);
    }
    // Then every target starts afresh: a heap grown by thousands of held streams stays grown (V8
    // keeps it), and the load cells and "peak RSS under the load" would measure that instead of
    // the load (Node 22: no plugins streamed at 0.94 of the bare proxy after 200 held streams,
    // 0.55 after 5,000). Not when profiling: each process writes its profile when it exits.
    if (!PROFILE) {
      await relaunchAll(targets);
      log('restarted and warmed up every target after the held streams');
    }
  }

  // What the processes logged while starting (a cluster's other workers, migrations) is not "under load".
  const quietFrom: Record<string, number> = {};
  /** What each target logged under load, from every set of processes measured so far. */
  const loggedUnderLoad: Record<string, string> = Object.fromEntries(targets.map((t) => [t.name, '']));
  const loadStarts = () => {
    for (const t of targets) quietFrom[t.name] = t.process.laterOutput().length;
  };
  const keepLoggedUnderLoad = () => {
    for (const t of targets) loggedUnderLoad[t.name] += t.process.laterOutput().slice(quietFrom[t.name]);
  };
  loadStarts();

  // Peak RSS under the request load: sampled, since VmHWM would include the held streams.
  const rssMb: Record<string, number | undefined> = {};
  const sampler = setInterval(() => {
    for (const t of targets) {
      const now = currentRssMb(t.process.child.pid);
      if (now !== undefined && now > (rssMb[t.name] ?? 0)) rssMb[t.name] = now;
    }
  }, 100);
  const cells: Cell[] = [];
  for (let set = 0; set < PROCESS_SETS; set++) {
    if (set > 0) {
      keepLoggedUnderLoad();
      await relaunchAll(targets);
      loadStarts();
      log(`set ${set + 1} of ${PROCESS_SETS}: every target restarted and warmed up`);
    }
    let index = 0;
    for (const stream of MODES.map((mode) => mode === 'stream')) {
      for (const concurrency of CONCURRENCY) {
        cells[index] = await measureCell(targets, stream, concurrency, cells[index]);
        index++;
      }
    }
  }
  clearInterval(sampler);
  keepLoggedUnderLoad();

  const logLines = Object.fromEntries(targets.map((t) => [t.name, loggedUnderLoad[t.name]!.split('\n').filter((line) => line.trim() !== '').length]));
  const report = renderReport(cells, {
    targets: targets.map((t) => t.name),
    date: new Date(),
    cores: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown CPU',
    node: process.version,
    durationMs: DURATION_MS,
    warmupMs: WARMUP_MS,
    rounds: ROUNDS,
    processSets: PROCESS_SETS,
    loadAverage: { start: loadBefore, end: loadavg()[0]! },
    rssMb,
    held,
    logLines,
  });
  if (PROFILE) {
    // A profile is written when its process exits.
    await Promise.all(targets.filter((t) => profiled(t.name)).map((t) => stopGracefully(t.process.child)));
    log(`profiles: ${summarizeProfiles(profileDir).join(', ')}`);
    // What each target served while its allocations were sampled: every cell's requests, warm-ups included.
    const served = new Map(targets.map((t) => [profileFolder(t.name), cells.reduce((sum, cell) => sum + cell.served[t.name]!, 0)]));
    log(`allocations (allocations.txt beside each profile): ${summarizeAllocations(profileDir, served).join(', ')}`);
  }
  killAll();
  rmSync(work, { recursive: true, force: true });
  process.stdout.write(`\n${report}\n`);
  for (const target of targets) {
    if (logLines[target.name]! > 0 && target.name !== 'direct') log(`${target.name} logged under load (it should not):\n${loggedUnderLoad[target.name]!.slice(-2000)}`);
  }

  const errors = totalErrors(cells) + Object.values(held).reduce((n, h) => n + h.streams - h.completed + (h.few ? h.few.streams - h.few.completed : 0), 0);
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

/** Every target stopped and started again in a new process, then warmed up (the mock called directly stays). */
async function relaunchAll(targets: Target[]): Promise<void> {
  for (const [index, target] of targets.entries()) {
    if (!target.relaunch) continue;
    await stopGracefully(target.process.child);
    targets[index] = await target.relaunch();
    await warmUp(target.name, targets[index]!.endpoint, WARMUP_MS * 2);
  }
}

/** One cell measured on the targets' current processes; with `before`, added to what earlier sets of processes served. */
async function measureCell(targets: readonly Target[], stream: boolean, concurrency: number, before?: Cell): Promise<Cell> {
  const loads = targets.map((t) => new LoadTarget(t.endpoint, concurrency, stream));
  const samples: Record<string, Sample> = before?.samples ?? Object.fromEntries(targets.map((t) => [t.name, emptySample()]));
  const warmUps = targets.map(() => emptySample());
  try {
    for (const [i, load] of loads.entries()) await load.run(WARMUP_MS, warmUps[i]);
    // Alternate the order between rounds so that no target always runs first, or last.
    const indexes = targets.map((_, i) => i);
    for (let round = 0; round < ROUNDS; round++) {
      for (const i of round % 2 === 0 ? indexes : [...indexes].reverse()) {
        const target = targets[i]!;
        const cpuBefore = cpuTimeMs(target.process.child.pid);
        await loads[i]!.run(DURATION_MS / ROUNDS, samples[target.name]);
        samples[target.name]!.serverCpuMs += cpuTimeMs(target.process.child.pid) - cpuBefore;
      }
    }
  } finally {
    await Promise.all(loads.map((l) => l.close()));
  }
  const line = targets
    .map((t) => {
      const s = samples[t.name]!;
      const errors = errorCount(s);
      return `${t.name} ${((s.latencies.length / s.elapsedMs) * 1000).toFixed(0)} req/s${errors > 0 ? ` (${errors} ERRORS)` : ''}`;
    })
    .join(' · ');
  log(`${stream ? 'stream' : 'JSON  '} c=${String(concurrency).padEnd(3)} ${line}${before ? ' (pooled with the sets before)' : ''}`);
  const answered = (sample: Sample) => sample.latencies.length + errorCount(sample);
  const served = Object.fromEntries(targets.map((t, i) => [t.name, (before?.served[t.name] ?? 0) + answered(samples[t.name]!) + answered(warmUps[i]!)]));
  return { stream, concurrency, samples, served };
}

function log(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

runBenchmark(main, log);
