/**
 * `llm-gateway start --workers N`: N gateway processes (node:cluster) sharing one listening socket.
 * The primary only forks, watches and stops them; each worker runs `start` as a single process
 * would. Workers share state the way replicas do, through the store, so the store must be one they
 * can share: Redis (one atomic call per counter update). A SQLite store is refused: it keeps
 * counters in each process's memory and saves them behind, so workers would overwrite each other's
 * counts. So is `memory`: every worker would keep its own keys, live config changes, team budgets
 * and counters, and a client would meet one worker or another at random. A worker's `--watch`
 * reload refuses an edit to such a store the same way.
 */
import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { loadConfigFile, type LoadedConfig } from '../core/config/load-config.js';
import { DEFAULT_STORE } from '../core/config/resolve-config.js';
import { createLogger } from '../core/logger.js';
import { onStopSignals } from './signals.js';

/** The message a worker takes as SIGTERM (a signal sent to the primary is not sent to its workers). */
export const SHUTDOWN_MESSAGE = 'llm-gateway:shutdown';

/** `--workers`: a whole number ≥ 1, or `auto` (one per core); undefined → 1. */
export function parseWorkers(value: string | undefined): number {
  if (value === undefined || value === '') return 1;
  if (value === 'auto') return availableParallelism();
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1024) throw new Error(`invalid --workers "${value}": use a whole number from 1, or auto (one per core)`);
  return n;
}

/** Why this config file cannot run on several workers, or undefined when it can. */
export async function sharedStoreProblem(config: string | undefined): Promise<string | undefined> {
  return sharedStoreProblemOf((await loadConfigFile(config)).config);
}

/** Why a config with this `store` cannot run on several workers, or undefined when it can. */
export function sharedStoreProblemOf(config: LoadedConfig['config']): string | undefined {
  const store = typeof config.store === 'string' ? config.store : DEFAULT_STORE;
  const share = 'Set store to redis://… (shared, as replicas use it), or run one process (no --workers).';
  if (store === 'memory') {
    return (
      "--workers needs a store the workers can share, and the store is 'memory': every worker would keep its own keys, team budgets, live config changes, " +
      `rate limits and circuit breakers, so a key created or a change made on one worker would be unknown to the others. ${share}`
    );
  }
  if (!store.startsWith('sqlite')) return undefined;
  return `--workers needs a store the workers can share, and the store is ${store}: SQLite keeps counters (rate limits, budgets, circuit breakers) in each process's memory. ${share}`;
}

/** Runs the primary: forks `count` workers, replaces one that crashes, stops them all on SIGTERM/SIGINT. Resolves -1 (runs until a signal) or 1. */
export async function runPrimary(count: number, config: string | undefined): Promise<number> {
  const logger = createLogger();
  let problem: string | undefined;
  try {
    problem = await sharedStoreProblem(config);
  } catch (error) {
    problem = (error as Error).message;
  }
  if (problem) {
    logger.error(problem);
    return 1;
  }
  let stopping = false;
  let started = 0;
  /** Workers that serve: the others are still starting, and may not hear a message yet. */
  const serving = new WeakSet<Worker>();
  const fork = () => cluster.fork();
  /** Undefined once every worker listens; else why one could not start. */
  const ready = new Promise<string | undefined>((resolve) => {
    cluster.on('listening', (worker: Worker) => {
      serving.add(worker);
      if (++started === count) resolve(undefined);
    });
    cluster.on('exit', (worker: Worker, code, signal) => {
      if (stopping) return;
      // A worker that fails before all are up is a bad config or port: the primary gives up.
      if (started < count) {
        stopping = true;
        for (const other of Object.values(cluster.workers ?? {})) other?.process.kill('SIGKILL');
        return resolve(`worker ${worker.process.pid} exited (${signal ?? `code ${code}`}) before it listened`);
      }
      logger.warn(`worker ${worker.process.pid} exited (${signal ?? `code ${code}`}); starting another`);
      setTimeout(() => !stopping && fork(), 1000).unref();
    });
  });
  for (let i = 0; i < count; i++) fork();
  const failure = await ready;
  if (failure) {
    logger.error(`a worker failed to start: ${failure} (its reason is logged above); stopping`);
    // Exits once the others are gone (killed above): nothing is left to keep the primary alive.
    return 1;
  }
  logger.info(`primary ${process.pid}: ${count} workers (${Object.values(cluster.workers ?? {}).map((w) => w?.process.pid).join(', ')})`);

  const kill = () => {
    for (const worker of Object.values(cluster.workers ?? {})) worker?.process.kill('SIGKILL');
    process.exit(1);
  };
  const graceful = () => {
    stopping = true;
    const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined);
    let failed = false;
    let left = workers.length;
    if (left === 0) process.exit(0);
    for (const worker of workers) {
      // One still starting (replacing a worker that died) serves nothing yet, and its listener for
      // the message may not be there: a signal it cannot miss, and an end by it is a clean one.
      const starting = !serving.has(worker);
      worker.once('exit', (code, signal) => {
        failed ||= code !== 0 && !(starting && signal === 'SIGTERM');
        if (--left === 0) process.exit(failed ? 1 : 0);
      });
      if (starting) worker.process.kill('SIGTERM');
      else worker.send(SHUTDOWN_MESSAGE);
    }
  };
  onStopSignals(logger, 'stopping the workers', graceful, kill);
  return -1;
}

/**
 * In a worker, from its first moment: what asks it to stop, the primary's message or the primary's
 * end (killed), each heard as a SIGTERM would be. Node's cluster exits a worker at once when its
 * primary goes, cutting what it was serving, unless the end is marked as expected. A worker still
 * starting serves nothing: asked to stop, it exits at once (without its primary it would wait for
 * ever for the port the primary shares). The returned function hands over the stop once there is
 * a gateway to stop.
 */
export function stopRequests(): (stop: (signal: NodeJS.Signals) => void) => void {
  let stopper: ((signal: NodeJS.Signals) => void) | undefined;
  const ask = () => (stopper ? stopper('SIGTERM') : process.exit(0));
  process.on('message', (message) => message === SHUTDOWN_MESSAGE && ask());
  if (cluster.worker) cluster.worker.exitedAfterDisconnect = true;
  process.on('disconnect', ask);
  return (stop) => {
    stopper = stop;
  };
}
