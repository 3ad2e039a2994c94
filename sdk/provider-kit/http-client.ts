/**
 * The HTTP client every HTTP provider adapter uses: an undici pool per provider (keep-alive,
 * pooled connections) with four timeouts, and one mapping of every transport failure to a
 * GatewayError that names the provider and says whether another try makes sense.
 *
 * Timeouts: `connectMs` (TCP + TLS), `firstByteMs` (until response headers: for a non-streamed
 * completion that is the whole generation, hence the generous default), `idleMs` (longest silence
 * between two chunks of a body) and `totalMs` (the whole exchange, body included).
 */
import { EventEmitter } from 'node:events';
import { Pool, type Dispatcher } from 'undici';
import { GatewayError, isGatewayError } from '../../core/errors.js';
import { type AbortSource, followAbort } from '../../core/request-abort.js';
import { upstreamHttpError } from './upstream-errors.js';

export interface Timeouts {
  connectMs: number;
  firstByteMs: number;
  idleMs: number;
  totalMs: number;
}

export const DEFAULT_TIMEOUTS: Readonly<Timeouts> = { connectMs: 10_000, firstByteMs: 120_000, idleMs: 60_000, totalMs: 600_000 };

export const timeoutsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    connectMs: { type: 'integer', minimum: 1 },
    firstByteMs: { type: 'integer', minimum: 1 },
    idleMs: { type: 'integer', minimum: 1 },
    totalMs: { type: 'integer', minimum: 1 },
  },
} as const;

/** Turns an upstream's error response into a GatewayError. */
export type UpstreamErrorReader = (provider: string, status: number, headers: Record<string, string | string[] | undefined>, bodyText: string) => GatewayError;

export interface HttpClientOptions {
  /** Provider id, named in every error. */
  provider: string;
  baseURL: string;
  timeouts?: Partial<Timeouts>;
  /** Most connections to keep open to the upstream. Default: no limit. */
  maxConnections?: number;
  /** Use this undici dispatcher instead of a pool of our own (an HTTP proxy agent, a test double). */
  dispatcher?: Dispatcher;
}

export interface UpstreamRequest {
  method: 'GET' | 'POST';
  /** Appended to the base URL's path: `/chat/completions`. */
  path: string;
  headers: Record<string, string>;
  /** JSON text, or its bytes (`ChatCallInput.encodeBody`). */
  body?: string | Uint8Array;
  /**
   * What ends the exchange early (the client went away, a deadline passed, a plugin gave up): the
   * call's input itself (`signal: input`), or an AbortSignal. Pass the input where you have one:
   * the client then follows the request without making the input's AbortSignal, which on Node 20
   * costs about 29 thousand instructions a request with its listener (core/request-abort.ts).
   */
  signal: AbortSource;
}

/** An upstream response whose body has not been read yet. Call one of the readers exactly once. */
export interface UpstreamExchange {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Dispatcher.ResponseData['body'];
  /** Clears the exchange's timers and listeners; the readers call it when they finish. */
  readonly release: () => void;
  /** Turns a failure while reading the body into the right GatewayError. */
  readonly failure: (cause: unknown) => GatewayError;
}

export class UpstreamHttpClient {
  readonly provider: string;
  readonly timeouts: Timeouts;
  private readonly dispatcher: Dispatcher;
  /** Only a pool we created is ours to close. */
  private readonly ownsDispatcher: boolean;
  private readonly origin: string;
  private readonly basePath: string;

  constructor(options: HttpClientOptions) {
    this.provider = options.provider;
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    const url = new URL(options.baseURL);
    this.origin = url.origin;
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.ownsDispatcher = options.dispatcher === undefined;
    this.dispatcher =
      options.dispatcher ??
      new Pool(url.origin, {
        connections: options.maxConnections ?? null,
        connect: { timeout: this.timeouts.connectMs },
        headersTimeout: this.timeouts.firstByteMs,
        bodyTimeout: this.timeouts.idleMs,
        keepAliveTimeout: 30_000,
      });
  }

  /** Sends a request and waits for the response headers. Any status is returned; see `expectOk`. */
  async send(request: UpstreamRequest): Promise<UpstreamExchange> {
    const controller = new ExchangeAbort();
    const unfollow = followAbort(request.signal, (reason) => controller.abort(reason));
    const timer = setTimeout(
      () => controller.abort(new GatewayError('upstream_timeout', `${this.provider}: no complete answer within ${this.timeouts.totalMs} ms`, { provider: this.provider, code: 'upstream_timeout', retryable: true })),
      this.timeouts.totalMs,
    );
    const release = () => {
      clearTimeout(timer);
      unfollow();
    };
    const failure = (cause: unknown) => this.transportError(cause, controller);

    let response: Dispatcher.ResponseData;
    try {
      response = await this.dispatcher.request({
        origin: this.origin,
        method: request.method,
        path: this.basePath + request.path,
        headers: request.headers,
        body: request.body ?? null,
        signal: controller,
        headersTimeout: this.timeouts.firstByteMs,
        bodyTimeout: this.timeouts.idleMs,
      });
    } catch (cause) {
      release();
      throw failure(cause);
    }
    // Without a listener, an aborted body emits an unhandled 'error' and takes the process down;
    // readers see the same error through their iterator or promise.
    response.body.on('error', () => undefined);
    return { status: response.statusCode, headers: response.headers, body: response.body, release, failure };
  }

  /**
   * Throws the upstream's error, in the gateway's terms, when the status is not 2xx. Adapters whose
   * provider has its own error format pass their own reading of it.
   */
  async expectOk(exchange: UpstreamExchange, toError: UpstreamErrorReader = upstreamHttpError): Promise<void> {
    if (exchange.status >= 200 && exchange.status < 300) return;
    let text = '';
    try {
      text = await exchange.body.text();
    } catch {
      // The status alone still says what happened.
    } finally {
      exchange.release();
    }
    throw toError(this.provider, exchange.status, exchange.headers, text);
  }

  /** Reads a whole body as text: what an adapter that hands the upstream's own bytes on needs. */
  async readText(exchange: UpstreamExchange): Promise<string> {
    try {
      return await exchange.body.text();
    } catch (cause) {
      throw exchange.failure(cause);
    } finally {
      exchange.release();
    }
  }

  /** Reads a whole JSON body. Garbage becomes a retryable 502 naming the provider. */
  async readJson(exchange: UpstreamExchange): Promise<unknown> {
    return this.parseJson(await this.readText(exchange));
  }

  /** Parses a body read with `readText`. Garbage becomes a retryable 502 naming the provider. */
  parseJson(text: string): unknown {
    try {
      return JSON.parse(text);
    } catch {
      throw new GatewayError('upstream', `${this.provider}: the provider answered with a body that is not JSON`, { provider: this.provider, code: 'upstream_invalid_response', retryable: true });
    }
  }

  async close(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.close();
  }

  private transportError(cause: unknown, signal: ExchangeAbort): GatewayError {
    if (signal.aborted && isGatewayError(signal.reason)) return signal.reason;
    if (isGatewayError(cause)) return cause;
    const code = errorCode(cause);
    const provider = this.provider;
    const fail = (kind: 'upstream' | 'upstream_timeout', errorCode: string, message: string) =>
      new GatewayError(kind, `${provider}: ${message}`, { provider, code: errorCode, retryable: true, cause });
    switch (code) {
      case 'UND_ERR_CONNECT_TIMEOUT':
        return fail('upstream_timeout', 'connect_timeout', `could not connect within ${this.timeouts.connectMs} ms`);
      case 'UND_ERR_HEADERS_TIMEOUT':
        return fail('upstream_timeout', 'first_byte_timeout', `no response within ${this.timeouts.firstByteMs} ms`);
      case 'UND_ERR_BODY_TIMEOUT':
        return fail('upstream_timeout', 'idle_timeout', `the response stalled for more than ${this.timeouts.idleMs} ms`);
      case 'ECONNREFUSED':
      case 'ENOTFOUND':
      case 'EAI_AGAIN':
      case 'EHOSTUNREACH':
      case 'ENETUNREACH':
        return fail('upstream', 'upstream_unreachable', `cannot reach the provider (${code})`);
      case 'UND_ERR_ABORTED':
      case 'ABORT_ERR':
        return new GatewayError('client_closed', `${provider}: the request was aborted`, { provider, retryable: false, cause });
      default:
        return fail('upstream', 'upstream_connection_error', `the connection failed (${code ?? 'no error code; the gateway\'s log has the details'})`);
    }
  }
}

/**
 * Aborts one exchange. undici accepts an EventEmitter with `aborted` and `reason` as a signal; on
 * Node 20 that costs far less per request than an AbortController, and this sits on the hot path.
 */
class ExchangeAbort extends EventEmitter {
  aborted = false;
  reason: unknown = undefined;

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    this.emit('abort');
  }
}

function errorCode(error: unknown): string | undefined {
  let current = error as { code?: unknown; cause?: unknown; name?: unknown } | undefined;
  for (let depth = 0; current && depth < 4; depth++) {
    if (typeof current.code === 'string') return current.code;
    if (current.name === 'AbortError') return 'ABORT_ERR';
    current = current.cause as typeof current;
  }
  return undefined;
}
