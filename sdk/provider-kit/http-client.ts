/**
 * The HTTP client every HTTP provider adapter uses: an undici pool per provider (keep-alive,
 * pooled connections) with four timeouts, and one mapping of every transport failure to a
 * GatewayError that names the provider and says whether another try makes sense.
 *
 * Timeouts: `connectMs` (TCP + TLS), `firstByteMs` (until response headers: for a non-streamed
 * completion that is the whole generation, hence the generous default), `idleMs` (longest silence
 * between two chunks of a body) and `totalMs` (the whole exchange, body included).
 *
 * Sizes: a whole answer is read into memory up to `maxResponseBytes` (default 64 MiB), an error
 * body up to 64 KiB; an upstream that sends more is cut off (docs/reliability.md).
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

/**
 * The most bytes of a whole answer `readText` reads into memory. The largest legitimate answers are
 * embeddings: 2048 inputs of 3072 dimensions are 32 MiB as base64 (what OpenAI's SDKs ask for), but
 * about 128 MiB as compact JSON floats (about 21 bytes a float) and 180 MiB indented; 2048 × 1536
 * floats are about 64 MiB compact. Chat answers are far smaller (128 K tokens of text are ~0.5 MB).
 * A limit that kept every float batch would let one upstream hold hundreds of MB per request, so
 * the default keeps base64 batches of any size and float batches up to about 2048 × 1536; a
 * provider that answers larger passes its own (`maxResponseBytes`, or `readText`'s second argument:
 * the OpenAI-format adapter's embeddings read up to 256 MiB).
 */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/** How much of an error body is read: enough for any provider's message; the rest is dropped. */
export const ERROR_BODY_KEPT_BYTES = 64 * 1024;

/** The `code` of a read error that `exchange.failure` turns into `upstream_response_too_large`. */
export const RESPONSE_TOO_LARGE = 'UPSTREAM_RESPONSE_TOO_LARGE';

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
  /** The most bytes of a whole answer `readText` / `readJson` read. Default `DEFAULT_MAX_RESPONSE_BYTES` (64 MiB). */
  maxResponseBytes?: number;
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
  readonly maxResponseBytes: number;
  private readonly dispatcher: Dispatcher;
  /** Only a pool we created is ours to close. */
  private readonly ownsDispatcher: boolean;
  private readonly origin: string;
  private readonly basePath: string;

  constructor(options: HttpClientOptions) {
    this.provider = options.provider;
    this.timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
    this.maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
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
   * provider has its own error format pass their own reading of it. At most ERROR_BODY_KEPT_BYTES of
   * the body are read; the rest is not, and the connection is given up rather than reused.
   */
  async expectOk(exchange: UpstreamExchange, toError: UpstreamErrorReader = upstreamHttpError): Promise<void> {
    if (exchange.status >= 200 && exchange.status < 300) return;
    let text = '';
    try {
      text = await readBody(exchange.body, ERROR_BODY_KEPT_BYTES, undefined);
    } catch {
      // The status alone still says what happened.
    } finally {
      exchange.release();
    }
    throw toError(this.provider, exchange.status, exchange.headers, text);
  }

  /**
   * Reads a whole body as text: what an adapter that hands the upstream's own bytes on needs. A body
   * of more than `maxBytes` (the client's `maxResponseBytes` unless given) is not read further: the
   * connection is closed and a retryable 502 `upstream_response_too_large` naming the provider thrown.
   */
  async readText(exchange: UpstreamExchange, maxBytes = this.maxResponseBytes): Promise<string> {
    try {
      // A declared length bounds the body (undici reads no more of it), so one within the limit is
      // read by undici's own consumer, as fast as ever; one beyond it is refused before it is read.
      // Without one (chunked), the bytes are counted as they come.
      const declared = exchange.headers['content-length'];
      if (typeof declared === 'string') {
        const length = Number(declared);
        if (length <= maxBytes) return await exchange.body.text();
        if (length > maxBytes) {
          const error = tooLarge(`the answer is ${length} bytes, more than the ${maxBytes} the gateway reads`);
          exchange.body.destroy(error);
          throw error;
        }
      }
      return await readBody(exchange.body, maxBytes, tooLarge);
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
      case RESPONSE_TOO_LARGE:
        return new GatewayError('upstream', `${provider}: ${(cause as Error).message}`, { provider, code: 'upstream_response_too_large', retryable: true });
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

/** A read error that `exchange.failure` turns into a retryable 502 `upstream_response_too_large` naming the provider. */
export function tooLarge(what: string): Error {
  return Object.assign(new Error(what), { code: RESPONSE_TOO_LARGE });
}

/**
 * Reads a body as UTF-8 text (a leading byte order mark dropped, as undici's `text()` does), at most
 * `maxBytes` of it. Past that the body is destroyed (its connection closed): with `over`, the read
 * fails with its error; without, it ends with the first `maxBytes` bytes.
 */
function readBody(body: Dispatcher.ResponseData['body'], maxBytes: number, over: ((what: string) => Error) | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    if (body.destroyed) return reject(body.errored ?? new Error('the body was closed before it was read'));
    const chunks: Buffer[] = [];
    let length = 0;
    body.on('data', (chunk: Buffer) => {
      length += chunk.length;
      if (length <= maxBytes) return void chunks.push(chunk);
      if (body.destroyed) return;
      if (over) {
        chunks.length = 0;
        const error = over(`the answer exceeded the ${maxBytes} bytes the gateway reads`);
        body.destroy(error);
        return reject(error);
      }
      chunks.push(chunk.subarray(0, chunk.length - (length - maxBytes)));
      body.destroy();
      resolve(utf8(chunks, maxBytes));
    });
    body.on('end', () => resolve(utf8(chunks, length)));
    body.on('error', reject);
    body.on('close', () => {
      if (!body.readableEnded) reject(Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' }));
    });
  });
}

function utf8(chunks: Buffer[], length: number): string {
  if (chunks.length === 0) return '';
  const buffer = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length);
  const start = buffer.length > 2 && buffer[0] === 0xef && buffer[1] === 0xbb && buffer[2] === 0xbf ? 3 : 0;
  return buffer.toString('utf8', start);
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
