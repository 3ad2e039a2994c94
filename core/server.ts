/**
 * The HTTP server around the Koa app, and graceful shutdown: stop accepting, close idle keep-alive
 * connections, let in-flight requests and streams finish until a deadline, then cut what is left.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from './logger.js';

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

export class GatewayServer {
  private readonly server: Server;
  private inFlight = 0;
  private idle: (() => void) | undefined;
  private closing = false;

  constructor(handler: (req: IncomingMessage, res: ServerResponse) => void, private readonly logger: Logger) {
    this.server = createServer({ keepAliveTimeout: 65_000 }, (req, res) => {
      this.inFlight++;
      res.once('close', () => {
        this.inFlight--;
        if (this.inFlight === 0) this.idle?.();
      });
      // During shutdown, tell keep-alive clients not to reuse this connection.
      if (this.closing) res.setHeader('connection', 'close');
      handler(req, res);
    });
    // Keep long streams alive: Node's default request timeout (5 min) would cut them.
    this.server.requestTimeout = 0;
    this.server.headersTimeout = 60_000;
  }

  listen({ port = 8080, host = '127.0.0.1' }: ListenOptions): Promise<Listening> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        const address = this.server.address() as AddressInfo;
        const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
        resolve({ url: `http://${shownHost}:${address.port}`, port: address.port, host: address.address, server: this.server });
      });
    });
  }

  async close(deadlineMs: number): Promise<void> {
    if (!this.server.listening) return;
    this.closing = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    if (this.inFlight > 0) {
      this.logger.info('waiting for in-flight requests', { inFlight: this.inFlight, deadlineMs });
      const drained = new Promise<void>((resolve) => (this.idle = resolve));
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'deadline'>((resolve) => (timer = setTimeout(() => resolve('deadline'), deadlineMs)));
      const outcome = await Promise.race([drained, deadline]);
      clearTimeout(timer);
      if (outcome === 'deadline') this.logger.warn('shutdown deadline passed; closing remaining connections', { inFlight: this.inFlight });
    }
    this.server.closeAllConnections();
    await closed;
  }
}
