/**
 * The Redis store's connection. node-redis, left to itself, retries its first connect forever: a
 * gateway (or `llm-gateway check`) pointed at a Redis that is down, unreachable or refusing its
 * password waited silently without end. The first connect now has a deadline, and a refusal that
 * waiting cannot mend (a wrong password) ends it at once; once connected, a dropped connection is
 * retried without end, as before, since requests go on meanwhile (bounded waits, local counting).
 */
import type { RedisClientType } from 'redis';
import type { Logger } from '../logger.js';
import { maskUrlPasswords } from '../mask-urls.js';

/** How long `start` waits for Redis to answer at first: long enough for one started beside the gateway. */
export const REDIS_CONNECT_WITHIN_MS = 10_000;

/**
 * A connection with nothing on it for this long is ended, and node-redis makes a new one. The
 * liveness check (redis-liveness.ts) writes a PING every second on a connection in use, so only a
 * connection nobody can use goes this quiet: a new one whose handshake (CLIENT SETINFO) was never
 * answered, made while the path to Redis was dead. node-redis has no deadline of its own for that
 * handshake: the client waited for it for ever, never ready, long after Redis answered again.
 */
export const REDIS_SILENT_CONNECTION_MS = 5000;

/** Between tries of a lost connection: 50 ms doubling up to 2 s. */
const retryDelayMs = (retries: number) => Math.min(50 * 2 ** retries, 2000);

export async function connectRedis(url: string, logger: Logger, withinMs = REDIS_CONNECT_WITHIN_MS, silentForMs = REDIS_SILENT_CONNECTION_MS): Promise<RedisClientType> {
  const { createClient, ErrorReply } = await import('redis');
  const started = Date.now();
  let connected = false;
  const client = createClient({
    url,
    // Commands fail at once while disconnected instead of queueing until Redis is back.
    disableOfflineQueue: true,
    socket: {
      connectTimeout: Math.min(withinMs, 5000),
      socketTimeout: silentForMs,
      reconnectStrategy: (retries, cause) => {
        if (connected) return retryDelayMs(retries);
        // Redis answered, and said no (WRONGPASS, NOAUTH): trying again would be told the same.
        if (cause instanceof ErrorReply) return cause;
        const left = withinMs - (Date.now() - started);
        return left > 0 ? Math.min(retryDelayMs(retries), left) : cause;
      },
    },
  }) as RedisClientType;
  // Errors surface on the calls that fail; this only keeps a dropped connection from crashing the process.
  let lastError: unknown;
  client.on('error', (error: Error) => {
    if (connected) logger.warn('redis connection error', { error: error.message });
    else lastError = error;
  });
  let timer: NodeJS.Timeout | undefined;
  // A Redis that accepts the connection and never answers its handshake is not retried: it waits.
  // Where the deadline ends a try of a server that refused (rather than one that said nothing), the refusal is the reason.
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(lastError ?? new Error(`no answer within ${withinMs / 1000} s`)), withinMs);
  });
  try {
    await Promise.race([client.connect(), deadline]);
    connected = true;
    return client;
  } catch (error) {
    if (client.isOpen) client.destroy();
    throw new Error(`could not connect to the store at ${maskUrlPasswords(url)}: ${reasonOf(error)}`, { cause: error });
  } finally {
    clearTimeout(timer);
  }
}

/** What went wrong, in words: a refused connect to `localhost` (tried on ::1 and 127.0.0.1) is an AggregateError with no message of its own. */
function reasonOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const inner = error instanceof AggregateError ? error.errors[0] : undefined;
  const code = (error as NodeJS.ErrnoException).code;
  return error.message || (inner instanceof Error ? inner.message : '') || code || error.name;
}
