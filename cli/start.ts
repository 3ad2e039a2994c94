/**
 * `llm-gateway start`: load the config, listen, and shut down gracefully on SIGTERM/SIGINT
 * (stop accepting, let in-flight requests and streams finish, close plugins and stores).
 */
import { createGateway } from '../index.js';
import { loadConfigFile } from '../core/config/load-config.js';
import { createLogger } from '../core/logger.js';
import { VERSION } from './version.js';

export interface StartOptions {
  config: string | undefined;
  port: string | undefined;
  host: string | undefined;
}

/** Resolves -1 once listening: the process then lives until a signal. */
export async function startCommand(options: StartOptions): Promise<number> {
  const bootLogger = createLogger();
  let gateway;
  try {
    const loaded = await loadConfigFile(options.config);
    gateway = await createGateway(loaded.config, { baseDir: loaded.baseDir });
    gateway.logger.info(`config ${loaded.filepath ?? '(none found: defaults and environment)'}`);
  } catch (error) {
    bootLogger.error((error as Error).message);
    return 1;
  }
  const { logger } = gateway;
  guardProcess(logger);

  const port = parsePort(options.port ?? process.env.PORT);
  let listening;
  try {
    listening = await gateway.listen({ ...(port !== undefined ? { port } : {}), ...(options.host ? { host: options.host } : {}) });
  } catch (error) {
    logger.error(`cannot listen: ${(error as Error).message}`);
    await gateway.close();
    return 1;
  }

  const providers = gateway.providers.all();
  logger.info(`llm-gateway ${VERSION} listening on ${listening.url}`, {
    providers: providers.map((p) => `${p.id}(${p.type})`).join(', ') || 'none',
    plugins: gateway.plugins.map((p) => p.name).join(', '),
  });
  if (providers.some((p) => p.type === 'demo')) {
    logger.warn('serving the built-in DEMO provider (model "demo/echo"): it answers with canned text. Set OPENAI_API_KEY, GROQ_API_KEY, OLLAMA_BASE_URL, ... to reach real models.');
  }

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn(`${signal} again: exiting without waiting`);
      process.exit(1);
    }
    stopping = true;
    logger.info(`${signal} received: finishing in-flight requests (up to ${gateway.config.server.shutdownTimeoutMs} ms)`);
    gateway.close().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (error: Error) => {
        logger.error('shutdown failed', { error });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  return -1;
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
