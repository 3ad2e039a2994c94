/**
 * Serving the metrics: the bearer-token check, and a small HTTP server of its own for a separate
 * port (kept off the gateway's port so a firewall can let Prometheus in and nobody else).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GatewayError, toOpenAIErrorBody, type Logger } from 'llm-gateway/plugin';

/** Throws a 401 unless `authorization` is `Bearer <token>` (always passes when no token is set). */
export function checkBearer(authorization: string | undefined, token: string | undefined): void {
  if (token === undefined) return;
  const given = /^Bearer\s+(.+)$/i.exec(authorization ?? '')?.[1]?.trim();
  if (!given || !sameSecret(given, token)) {
    throw new GatewayError('authentication', 'The metrics need a bearer token: send "Authorization: Bearer <token>".', { code: 'invalid_metrics_token' });
  }
}

/** Constant-time comparison of hashes, so neither the content nor the length leaks through timing. */
function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

export interface MetricsServer {
  readonly url: string;
  close(): Promise<void>;
}

export interface ServeOptions {
  port: number;
  host: string;
  path: string;
  bearerToken: string | undefined;
  render(): Promise<{ contentType: string; body: string }>;
  logger: Logger;
}

/**
 * Servers by `host:port`, shared by every gateway in the process: a config reload builds the new
 * gateway (which takes the port over) before the old one closes (which then lets go of it).
 */
interface Shared {
  current: ServeOptions;
  users: number;
  origin: string;
  close(): Promise<void>;
}
const SHARED = Symbol.for('llm-gateway.metrics:servers');
const shared: Map<string, Shared> = ((globalThis as Record<symbol, unknown>)[SHARED] ??= new Map()) as Map<string, Shared>;

export async function serveMetrics(options: ServeOptions): Promise<MetricsServer> {
  const key = `${options.host}:${options.port}`;
  let entry = options.port === 0 ? undefined : shared.get(key);
  if (entry) {
    entry.current = options;
    entry.users++;
  } else {
    entry = await listen(options);
    if (options.port !== 0) shared.set(key, entry);
  }
  const mine = entry;
  let closed = false;
  return {
    url: `${mine.origin}${options.path}`,
    async close() {
      if (closed) return;
      closed = true;
      if (--mine.users > 0) return;
      if (shared.get(key) === mine) shared.delete(key);
      await mine.close();
    },
  };
}

async function listen(first: ServeOptions): Promise<Shared> {
  const entry = { current: first, users: 1 } as Shared;
  const server = createServer((req, res) => {
    const options = entry.current;
    const reply = (status: number, contentType: string, body: string) => {
      res.writeHead(status, { 'content-type': contentType, 'cache-control': 'no-store' });
      res.end(body);
    };
    const fail = (error: GatewayError) => reply(error.status, 'application/json', JSON.stringify(toOpenAIErrorBody(error)));
    const path = (req.url ?? '/').split('?')[0];
    if (path !== options.path) return fail(new GatewayError('not_found', `Unknown path: ${req.method} ${path}.`, { code: 'unknown_url' }));
    if (req.method !== 'GET' && req.method !== 'HEAD') return fail(new GatewayError('method_not_allowed', 'The metrics are read with GET.', { code: 'method_not_allowed' }));
    try {
      checkBearer(req.headers.authorization, options.bearerToken);
    } catch (error) {
      return fail(error as GatewayError);
    }
    options.render().then(
      ({ contentType, body }) => reply(200, contentType, req.method === 'HEAD' ? '' : body),
      (error: Error) => {
        options.logger.error('could not render the metrics', { error });
        fail(new GatewayError('internal', 'The metrics could not be rendered.', { code: 'metrics_failed' }));
      },
    );
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(first.port, first.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  entry.origin = `http://${address.family === 'IPv6' ? `[${address.address}]` : address.address}:${address.port}`;
  first.logger.info(`metrics at ${entry.origin}${first.path}`);
  entry.close = () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  return entry;
}
