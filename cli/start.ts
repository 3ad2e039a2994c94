/**
 * `llm-gateway start`: load the config, listen, and shut down gracefully on SIGTERM/SIGINT
 * (stop accepting, let in-flight requests and streams finish, close plugins and stores).
 *
 * With `--watch`, an edited config file is loaded, checked and swapped in without dropping a
 * request: a whole new gateway (plugins included) is built beside the running one, takes over the
 * socket, and the old one finishes what it was serving, then closes. A file that fails to load or
 * validate is refused, with the reason logged, and the running config stays.
 */
import cluster from 'node:cluster';
import { watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import { createGateway, dashboardStatus, type Gateway } from '../index.js';
import { loadConfigFile } from '../core/config/load-config.js';
import { createLogger, type Logger } from '../core/logger.js';
import { VERSION } from './version.js';
import { isLocalHost, openGatewayWarning } from './check.js';
import { onStopSignals } from './signals.js';
import { parseWorkers, runPrimary, sharedStoreProblemOf, stopRequests } from './workers.js';

export interface StartOptions {
  config: string | undefined;
  port: string | undefined;
  host: string | undefined;
  watch?: boolean;
  /** `--workers`: a number or `auto`; more than one runs a cluster (workers.ts). */
  workers?: string | undefined;
}

/** Resolves -1 once listening: the process then lives until a signal. */
export async function startCommand(options: StartOptions): Promise<number> {
  const bootLogger = createLogger();
  // Checked before anything is opened (the store, its lease, the usage log), as --workers is.
  let port: number | undefined;
  try {
    port = parsePort(options.port ?? process.env.PORT);
  } catch (error) {
    bootLogger.error((error as Error).message);
    return 2;
  }
  if (cluster.isPrimary) {
    let workers: number;
    try {
      workers = parseWorkers(options.workers);
    } catch (error) {
      bootLogger.error((error as Error).message);
      return 2;
    }
    if (workers > 1) return runPrimary(workers, options.config);
  }
  // A worker of `--workers N` listens for its primary's stop before anything else (workers.ts).
  const handOverStop = cluster.isWorker ? stopRequests() : undefined;
  let gateway: Gateway;
  let filepath: string | undefined;
  let failed = bootLogger;
  try {
    const loaded = await loadConfigFile(options.config);
    filepath = loaded.filepath;
    // Why the gateway did not start is logged in the config's own format (a log shipper reading JSON).
    failed = createLogger(loaded.config.logging ?? {});
    gateway = await createGateway(loaded.config, { baseDir: loaded.baseDir });
    gateway.logger.info(`config ${loaded.filepath ?? '(none found: defaults and environment)'}`);
  } catch (error) {
    failed.error((error as Error).message);
    return 1;
  }
  const { logger } = gateway;
  guardProcess(logger);

  // Before the gateway listens, and so before it says so: a supervisor may stop it as soon as it
  // reads "listening on", and a signal that comes before Node has a handler for it kills the
  // process outright (no in-flight request finished, no usage record flushed, the store not closed).
  let reloading = Promise.resolve();
  /** Gateways a reload replaced, still finishing what they serve: a stop waits for them too. */
  const retiring = new Set<Promise<void>>();
  const signals = onStopSignals(
    logger,
    'exiting',
    (signal) => {
      logger.info(`${signal} received: finishing in-flight requests (up to ${gateway.config.server.shutdownTimeoutMs} ms)`);
      reloading
        .then(() => Promise.all([gateway.close(), ...retiring]))
        .then(
          () => {
            logger.info('stopped');
            process.exit(0);
          },
          (error: Error) => {
            logger.error('shutdown failed', { error });
            process.exit(1);
          },
        );
    },
    () => process.exit(1),
  );

  let listening;
  try {
    listening = await gateway.listen({ ...(port !== undefined ? { port } : {}), ...(options.host ? { host: options.host } : {}) });
  } catch (error) {
    // Stopped while it tried: the stop closes the gateway and ends the process.
    if (signals.stopping) return -1;
    logger.error(`cannot listen: ${(error as Error).message}`);
    await gateway.close();
    return 1;
  }

  const providers = gateway.providers.all();
  logger.info(`llm-gateway ${VERSION} listening on ${listening.url}`, {
    providers: providers.map((p) => `${p.id}(${p.type})`).join(', ') || 'none',
    plugins: gateway.plugins.map((p) => p.name).join(', '),
  });
  const board = gateway.tryResolve(dashboardStatus);
  if (board?.enabled) logger.info(`dashboard: ${listening.url}${board.path} (log in with the admin key, LLM_GATEWAY_ADMIN_KEY)`);
  else if (board) logger.info(`dashboard: off (${board.reason ?? 'no admin key'})`);
  // An open proxy to the provider keys is said where it starts, not only by `check`.
  const host = options.host ?? gateway.config.server.host;
  const open = isLocalHost(host) ? undefined : openGatewayWarning(gateway, host);
  if (open) logger.warn(open);
  if (providers.some((p) => p.type === 'demo')) {
    logger.warn('serving the built-in DEMO provider (model "demo/echo"): it answers with canned text. Set OPENAI_API_KEY, GROQ_API_KEY, OLLAMA_BASE_URL, ... to reach real models.');
  }

  if (options.watch) {
    if (!filepath) logger.warn('--watch: there is no config file to watch');
    else {
      const file = filepath;
      watchFile(file, logger, () => {
        // Stopping: the gateway being closed is the last one.
        if (signals.stopping) return;
        reloading = reloading.then(async () => {
          gateway = await reload(gateway, file, logger, retiring);
        });
      });
      logger.info(`watching ${file}: edits are applied without a restart`);
    }
  }

  // A worker of `--workers N`: the primary asks by message, or is gone (Ctrl-C also reaches it as SIGINT).
  handOverStop?.((signal) => !signals.stopping && signals.stop(signal));
  return -1;
}

/** The gateway of the edited file, in place of `current`; `current` itself when the file is refused. */
async function reload(current: Gateway, file: string, logger: Logger, retiring: Set<Promise<void>>): Promise<Gateway> {
  let next: Gateway;
  try {
    const loaded = await loadConfigFile(file);
    // A worker of `--workers N`: the store the edit names must be one the workers can share, as at start.
    const problem = cluster.isWorker ? sharedStoreProblemOf(loaded.config) : undefined;
    if (problem) throw new Error(problem);
    // The same store goes on (state kept, one connection); another URL opens its own.
    const sameStore = (loaded.config.store ?? current.config.store) === current.config.store;
    next = await createGateway(loaded.config, { baseDir: loaded.baseDir, ...(sameStore ? { store: current.store } : {}) });
  } catch (error) {
    logger.error(`config reload refused, the running config stays: ${(error as Error).message}`);
    return current;
  }
  const { port, host } = next.config.server;
  if (port !== current.config.server.port || host !== current.config.server.host) {
    logger.warn('server.port and server.host apply at the next start: the gateway keeps listening where it is');
  }
  const { retired } = await next.replace(current);
  logger.info(`config reloaded from ${file}`, { plugins: next.plugins.map((p) => p.name).join(', '), providers: next.providers.all().map((p) => p.id).join(', ') || 'none' });
  const closed = retired.catch((error: Error) => logger.error('the previous config failed to close', { error }));
  retiring.add(closed);
  void closed.then(() => retiring.delete(closed));
  return next;
}

/** Calls `changed` once an edit settles (editors write in bursts, or replace the file). */
function watchFile(file: string, logger: Logger, changed: () => void): void {
  let timer: NodeJS.Timeout | undefined;
  // The folder, not the file: an editor that saves by renaming replaces the watched inode.
  const watcher = watch(dirname(file), (_event, name) => {
    if (name !== basename(file)) return;
    clearTimeout(timer);
    timer = setTimeout(changed, 200);
  });
  watcher.on('error', (error) => logger.warn('--watch stopped watching the config file', { error: error.message }));
  watcher.unref();
}

function parsePort(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`invalid port "${value}": use a number from 0 to 65535`);
  return port;
}

/**
 * Last line of defence: a failure nobody caught is logged, not allowed to take every other
 * in-flight request down with the process. The request paths are built not to need this.
 */
function guardProcess(logger: { error: (message: string, fields?: Record<string, unknown>) => void }): void {
  // A stderr nobody reads any more (EPIPE: the parent or the log pipe went away) would otherwise
  // raise an uncaught exception whose handler logs to that same stderr, forever, at 100% CPU.
  process.stderr.on('error', () => undefined);
  process.on('unhandledRejection', (reason) => logger.error('unhandled rejection (bug): the gateway keeps running', { error: reason as Error }));
  process.on('uncaughtException', (error) => logger.error('uncaught exception (bug): the gateway keeps running', { error }));
}
