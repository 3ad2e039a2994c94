/**
 * The HTTP server around the Koa app, and graceful shutdown: stop accepting, close idle keep-alive
 * connections, let in-flight requests and streams finish until a deadline, then cut what is left.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { markCutByShutdown } from './http/cut-by-shutdown.js';
import type { Logger } from './logger.js';

/**
 * Connections the kernel may hold for us before they are accepted. Node's default (511) overflowed
 * when thousands of clients connected at once (5,000 streams opened together: 63,543 dropped
 * handshakes in a bench run, each retried a second or more later, so answers that took seconds or
 * ended in resets). Linux caps it at net.core.somaxconn (4096 by default).
 */
const LISTEN_BACKLOG = 4096;

/** How long a shutdown waits, once it cut what was left, for the cut exchanges to end. */
const CUT_SETTLE_MS = 1000;

export interface ListenOptions {
  port?: number;
  host?: string;
}

export interface Listening {
  readonly url: string;
  readonly port: number;
  readonly host: string;
  readonly server: Server;
}

/** Handles one HTTP request; the handler can be swapped while the server listens (a config reload). */
export type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

export class GatewayServer {
  private readonly server: Server;
  private handler: RequestHandler;
  /** Requests in flight by the handler generation they started on: a swapped-out handler drains alone. */
  private readonly inFlight = new Map<number, number>();
  /** Who waits for a generation's last request to end: a reload's drain and a shutdown's, say. */
  private readonly idle = new Map<number, Set<() => void>>();
  private generation = 0;
  private closing = false;
  /** Past the shutdown deadline: what closes now was cut by the gateway. */
  private cutting = false;

  constructor(handler: RequestHandler, private readonly logger: Logger, timeouts: { headersMs: number; bodyMs: number } = { headersMs: 30_000, bodyMs: 30_000 }) {
    this.handler = handler;
    // Node checks its request timeouts only this often: a fraction of the shortest, within bounds.
    const connectionsCheckingInterval = Math.min(30_000, Math.max(100, Math.floor(Math.min(timeouts.headersMs, timeouts.bodyMs) / 4)));
    this.server = createServer({ keepAliveTimeout: 65_000, connectionsCheckingInterval }, (req, res) => {
      const generation = this.generation;
      this.inFlight.set(generation, (this.inFlight.get(generation) ?? 0) + 1);
      res.once('close', () => {
        // Before the exchange hears of it (its listener came later): cut by us, not left by the client.
        if (this.cutting && !res.writableFinished) markCutByShutdown(res);
        const left = (this.inFlight.get(generation) ?? 1) - 1;
        if (left > 0) return void this.inFlight.set(generation, left);
        this.inFlight.delete(generation);
        for (const waiter of this.idle.get(generation) ?? []) waiter();
      });
      // During shutdown, tell keep-alive clients not to reuse this connection.
      if (this.closing) res.setHeader('connection', 'close');
      this.handler(req, res);
    });
    // Headers that never complete: Node answers a bare 408 and closes the connection. The body's own
    // deadline is readJsonBody's (a 408 in the API's format); Node's request timeout, which counts
    // only until the request has fully arrived (never the answer), is the backstop for bodies no
    // handler reads.
    this.server.headersTimeout = timeouts.headersMs;
    this.server.requestTimeout = timeouts.headersMs + timeouts.bodyMs + 5_000;
  }

  listen({ port = 8080, host = '127.0.0.1' }: ListenOptions): Promise<Listening> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      this.server.once('error', onError);
      this.server.listen({ port, host, backlog: LISTEN_BACKLOG }, () => {
        this.server.off('error', onError);
        const address = this.server.address() as AddressInfo;
        const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
        resolve({ url: `http://${shownHost}:${address.port}`, port: address.port, host: address.address, server: this.server });
      });
    });
  }

  /**
   * New requests go to `handler` from now on; the returned function resolves once the requests the
   * previous handler was serving have finished (or the deadline passed).
   */
  swap(handler: RequestHandler): (deadlineMs: number) => Promise<void> {
    const previous = this.generation;
    this.generation++;
    this.handler = handler;
    return (deadlineMs) => this.drain(previous, deadlineMs, 'the previous config still had requests in flight at its deadline; closing it anyway');
  }

  async close(deadlineMs: number): Promise<void> {
    if (!this.server.listening) return;
    this.closing = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    await Promise.all([...this.inFlight.keys()].map((generation) => this.drain(generation, deadlineMs, 'shutdown deadline passed; closing remaining connections')));
    this.cutting = true;
    this.server.closeAllConnections();
    // The server may close before the cut responses' own 'close' events, which end their exchanges
    // (request:end, the usage record): those come first, before the caller closes the plugins.
    await Promise.all([closed, ...[...this.inFlight.keys()].map((generation) => this.idleWithin(generation, CUT_SETTLE_MS))]);
  }

  private async drain(generation: number, deadlineMs: number, late: string): Promise<void> {
    const waiting = this.inFlight.get(generation) ?? 0;
    if (waiting === 0) return;
    this.logger.info('waiting for in-flight requests', { inFlight: waiting, deadlineMs });
    if (!(await this.idleWithin(generation, deadlineMs))) this.logger.warn(late, { inFlight: this.inFlight.get(generation) ?? 0 });
  }

  /** True once `generation` has no request in flight, false if it still has some after `ms`. */
  private async idleWithin(generation: number, ms: number): Promise<boolean> {
    if (!this.inFlight.has(generation)) return true;
    const waiters = this.idle.get(generation) ?? new Set<() => void>();
    this.idle.set(generation, waiters);
    let waiter!: () => void;
    let timer: NodeJS.Timeout | undefined;
    const drained = new Promise<true>((resolve) => (waiter = () => resolve(true)));
    waiters.add(waiter);
    const deadline = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
    const idle = await Promise.race([drained, deadline]);
    clearTimeout(timer);
    waiters.delete(waiter);
    if (waiters.size === 0 && this.idle.get(generation) === waiters) this.idle.delete(generation);
    return idle;
  }
}
