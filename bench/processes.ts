/**
 * The benchmark's child processes: started as plain `node` processes (never through the `tsx`
 * wrapper, whose SIGKILL leaves the real node process behind as an orphan), watched while the
 * benchmark runs, and killed however the benchmark ends: success, failure, Ctrl-C.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '..');

export interface Started {
  readonly name: string;
  readonly child: ChildProcess;
  /** The first match of the pattern that said the process was ready. */
  readonly match: RegExpExecArray;
  /** Output (stdout and stderr) since the process became ready. */
  readonly laterOutput: () => string;
}

export interface StartOptions {
  name: string;
  args: string[];
  /** Matched against stdout + stderr; the process is ready at the first match. */
  ready: RegExp;
  cwd: string;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** CPU list for `taskset -c` (e.g. "1"): the process and its children run only there. */
  cpus?: string;
  /** A command that runs node for us, with its arguments (`valgrind --tool=callgrind …`): node's path and `args` follow it. */
  wrapper?: string[];
}

const running = new Set<ChildProcess>();
/** Children stopped on purpose (stopGracefully): their exit ends nothing. */
const stopped = new WeakSet<ChildProcess>();
let stopping = false;

/** Kills every child still alive. Safe to call more than once. */
export function killAll(): void {
  stopping = true;
  for (const child of running) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** The children are about to be stopped on purpose: their exit no longer ends the run. */
export function expectExits(): void {
  stopping = true;
}

/** Kills the children on exit, on Ctrl-C (and SIGTERM, SIGHUP), and on a crash of the benchmark itself. */
export function installCleanup(): void {
  process.on('exit', killAll);
  const signals: Array<[NodeJS.Signals, number]> = [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]];
  for (const [signal, code] of signals) {
    process.on(signal, () => {
      process.stderr.write(`\nbench: ${signal} received, stopping\n`);
      process.exit(code);
    });
  }
}

/**
 * Runs `node <args>` and resolves once its output matches `ready`. A child that exits afterwards,
 * while the benchmark still needs it, ends the benchmark: its numbers would be meaningless.
 */
export function startNode(options: StartOptions): Promise<Started> {
  // stdin is a pipe the child never reads unless it wants to: our own scripts exit when it closes,
  // which covers even a SIGKILL of this process.
  // taskset execs node in its own process, so the child's pid is node's.
  const node = [...(options.wrapper ?? []), process.execPath, ...options.args];
  const [command, ...args] = options.cpus === undefined ? node : ['taskset', '-c', options.cpus, ...node];
  const child = spawn(command!, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] });
  running.add(child);
  let output = '';
  let later = '';
  let ready = false;
  const onData = (data: Buffer) => {
    if (!ready) output += data.toString();
    // After the start only a bounded tail is kept: enough to show what went wrong.
    else later = (later + data.toString()).slice(-32 * 1024);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);

  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${options.name} did not become ready within ${options.timeoutMs ?? 20_000} ms:\n${output}`)), options.timeoutMs ?? 20_000);
    const check = () => {
      if (ready) return;
      const match = options.ready.exec(output);
      if (!match) return;
      ready = true;
      clearTimeout(timer);
      resolve({ name: options.name, child, match, laterOutput: () => later });
    };
    child.stdout?.on('data', check);
    child.stderr?.on('data', check);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      running.delete(child);
      clearTimeout(timer);
      if (stopping || stopped.has(child)) return;
      const message = `${options.name} exited (${signal ?? `code ${code}`}) while the benchmark needed it:\n${output}${later}`;
      if (!ready) return reject(new Error(message));
      process.stderr.write(`bench: ${message}\n`);
      process.exit(1);
    });
  });
}

/**
 * Runs a benchmark's `main` as the whole process: its children are killed however it ends (and on
 * Ctrl-C, SIGTERM, SIGHUP), and the number it resolves to is the exit code; a failure is logged
 * with `log` and exits 1.
 */
export function runBenchmark(main: () => Promise<number>, log: (message: string) => void): void {
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
}

export interface MockUpstreams {
  readonly process: Started;
  /** Answers at once (the test suite's mock, echo scenario). */
  readonly origin: string;
  /** Streams one chunk a second, for held streams. */
  readonly slowOrigin: string;
}

/** The mock upstreams (bench/upstream-server.ts), in a process of their own. */
export async function startMockUpstreams(options: { cpus?: string } = {}): Promise<MockUpstreams> {
  // `node --import tsx`, not the tsx binary: that one is a wrapper process around the real one.
  const started = await startNode({ name: 'mock upstream', cwd: ROOT, args: ['--import', 'tsx', 'bench/upstream-server.ts'], cpus: options.cpus, ready: /"port":(\d+),"slowPort":(\d+)/ });
  return { process: started, origin: `http://127.0.0.1:${started.match[1]}`, slowOrigin: `http://127.0.0.1:${started.match[2]}` };
}

/** bench/'s own proxies, which every gateway configuration is measured beside. */
export const YARDSTICKS = ['bare proxy', 'floor', 'floor (logged)'] as const;
export type Yardstick = (typeof YARDSTICKS)[number];

export function isYardstick(name: string): name is Yardstick {
  return (YARDSTICKS as readonly string[]).includes(name);
}

/** How a yardstick is started and reached, for `npm run bench` and `npm run bench:instructions` alike. */
export interface YardstickLaunch {
  /** node's arguments, from the checkout (tsx resolves the script there). */
  readonly args: string[];
  /** What its output prints once it listens; `origin` reads where from the match. */
  readonly ready: RegExp;
  readonly origin: (match: RegExpExecArray) => string;
  /** What its requests carry: the logged floor's key. */
  readonly headers: Readonly<Record<string, string>> | undefined;
}

/** `work`: a folder of the run's own, where the logged floor keeps its usage log. */
export function yardstickLaunch(name: Yardstick, upstreams: Pick<MockUpstreams, 'origin' | 'slowOrigin'>, work: string): YardstickLaunch {
  const logged = name === 'floor (logged)';
  const script = name === 'bare proxy' ? 'bench/bare-proxy.ts' : 'bench/floor-proxy.ts';
  return {
    args: ['--import', 'tsx', script, upstreams.origin, upstreams.slowOrigin, ...(logged ? ['--log', join(mkdtempSync(join(work, 'floor-')), 'usage.sqlite')] : [])],
    ready: /"port":(\d+)/,
    origin: (match) => `http://127.0.0.1:${match[1]}`,
    headers: logged ? { authorization: 'Bearer floor-bench-key' } : undefined,
  };
}

export interface GatewayProcessOptions {
  name: string;
  /** The built CLI: `<checkout>/dist/cli/main.js`. */
  main: string;
  /** The config file, an absolute path. */
  config: string;
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Node flags, before the CLI (`--cpu-prof`, V8 settings). */
  nodeArgs?: string[];
  /** More `start` arguments (`--workers N`). */
  args?: string[];
  cpus?: string;
}

/** A gateway from a built `dist/` (`start --port 0`), ready once it says where it listens: its `origin`. */
export async function startGatewayProcess(options: GatewayProcessOptions): Promise<Started & { readonly origin: string }> {
  const started = await startNode({
    name: options.name,
    cwd: options.cwd,
    args: [...(options.nodeArgs ?? []), options.main, 'start', '--config', options.config, '--port', '0', ...(options.args ?? [])],
    cpus: options.cpus,
    ready: /listening on (http:\/\/\S+)/,
    env: options.env,
  });
  return { ...started, origin: started.match[1]! };
}

/** The environment every bench gateway starts with: where the mock upstreams are, and the admin key. */
export function gatewayEnv(upstreams: Pick<MockUpstreams, 'origin' | 'slowOrigin'>): NodeJS.ProcessEnv {
  return { ...process.env, BENCH_UPSTREAM_URL: `${upstreams.origin}/v1`, BENCH_SLOW_UPSTREAM_URL: `${upstreams.slowOrigin}/v1`, LLM_GATEWAY_ADMIN_KEY: 'bench-admin-key-0123456789' };
}

/** bench/configs/full.json on a Redis store (BENCH_REDIS_URL, default the local one), written to `file`; returns `file`. */
export function writeFullOnRedis(file: string): string {
  const config = JSON.parse(readFileSync(join(ROOT, 'bench', 'configs', 'full.json'), 'utf8')) as Record<string, unknown>;
  writeFileSync(file, JSON.stringify({ ...config, store: process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379' }));
  return file;
}

/** A gateway key for the full pipeline, created in its store with the CLI (limits far above the load); returns its secret. */
export function createBenchKey(options: { main: string; config: string; cwd: string; env: NodeJS.ProcessEnv; name?: string }): string {
  const args = ['keys', 'create', '--config', options.config, '--name', options.name ?? 'bench', '--rpm', '100000000', '--tpm', '1000000000', '--daily-usd', '1000000', '--json'];
  const out = execFileSync(process.execPath, [options.main, ...args], { cwd: options.cwd, env: options.env, encoding: 'utf8' });
  return (JSON.parse(out) as { secret: string }).secret;
}

/**
 * Peak resident set size of a live process in MB, from `VmHWM` in /proc (Linux only); for a
 * process with children (`--workers N`), the sum of each one's peak.
 */
export function peakRssMb(pid: number | undefined): number | undefined {
  return sumOverTree(pid, (one) => statusKb(one, 'VmHWM'));
}

/** Resident set size now, MB, of a process and its children. */
export function rssMb(pid: number | undefined): number | undefined {
  return sumOverTree(pid, (one) => statusKb(one, 'VmRSS'));
}

function statusKb(pid: number, field: string): number | undefined {
  try {
    const kb = new RegExp(`${field}:\\s+(\\d+)\\s+kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? undefined : Number(kb) / 1024;
  } catch {
    return undefined;
  }
}

/** The process and its live children (a cluster primary's workers), from /proc. */
function tree(pid: number): number[] {
  const all = [pid];
  try {
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const children = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
      if (children) for (const child of children.split(' ')) all.push(...tree(Number(child)));
    }
  } catch {
    // gone, or no /proc: the process alone
  }
  return all;
}

function sumOverTree(pid: number | undefined, measure: (pid: number) => number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  let total: number | undefined;
  for (const one of tree(pid)) {
    const value = measure(one);
    if (value !== undefined) total = (total ?? 0) + value;
  }
  return total;
}

/** Ends one child with SIGTERM (a graceful shutdown writes its `--cpu-prof` profile) and waits for it. */
export function stopGracefully(child: ChildProcess, timeoutMs = 15_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  stopped.add(child);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      resolve();
    }, timeoutMs);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** CPU time (user + system, all threads) a live process and its children have used so far, in ms; 10 ms resolution. */
export function cpuTimeMs(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  return sumOverTree(pid, cpuOfOne) ?? Number.NaN;
}

function cpuOfOne(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name, which may itself contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** USER_HZ: 100 on every Linux the benchmark is meant for. */
const CLOCK_TICKS_PER_SECOND = 100;
