/**
 * One client exchange, whatever API it came in on: read the body, let the front-end parse it, run
 * the request through the pipeline, then hand the answer over as JSON or as a stream in the
 * front-end's own format (see front-end.ts). Every front-end, the kernel's or a plugin's, runs here.
 */
import type { Context as KoaContext } from 'koa';
import { GatewayContext } from '../context.js';
import { GatewayError, toGatewayError } from '../errors.js';
import type { EventBus } from '../events.js';
import type { Terminal } from '../pipeline.js';
import type { ChatCompletionRequest, EmbeddingsRequest } from '../protocol/openai.js';
import { isPassable, primeStream } from '../stream.js';
import type { FrontEnd } from './front-end.js';
import { ClientJson, KEPT_FROM_BYTES } from './client-json.js';
import { readJsonRequest } from './read-json-body.js';
import type { RequestOptions } from './request-options.js';
import { writeSse } from './sse-response.js';
import { wasCutByShutdown } from './cut-by-shutdown.js';
import { letGoOfUnsentStream } from './let-go-unsent.js';

export interface ExchangeDeps {
  pipeline: Terminal;
  events: EventBus;
  bodyLimit: number;
  takeRequestOptions: (body: Record<string, unknown>) => RequestOptions;
}

/** The Koa handler for one of a front-end's paths. */
export function frontEndRoute(frontEnd: FrontEnd<unknown>, deps: ExchangeDeps) {
  return async function serveFrontEnd(koa: KoaContext): Promise<void> {
    const { body, bytes, text, layout } = await readJsonRequest(koa.req, deps.bodyLimit, KEPT_FROM_BYTES);
    // Before anything reads the body: parsing may fill in defaults, which the text does not say.
    const clientJson = ClientJson.capture(bytes, text, layout, body);
    const requestOptions = deps.takeRequestOptions(body);
    const parsed = await frontEnd.parse(body, koa);
    const answer = frontEnd.answer ? (ctx: GatewayContext) => frontEnd.answer!(ctx, parsed.state) : undefined;
    // Spelled out rather than spread from a shared base: on Node 20 (V8 11.3) an object spread and
    // then given more properties gets a hidden class of its own, made anew on every request.
    const [request, embeddings, advisory] = parsed.operation === 'embeddings' ? [chatView(parsed.request), parsed.request, undefined] : [parsed.request, undefined, parsed.advisory];
    const ctx = new GatewayContext({
      endpoint: frontEnd.endpoint,
      id: koa.requestId,
      http: koa,
      requestOptions,
      startedAt: koa.startedAt,
      clientJson,
      answer,
      operation: parsed.operation,
      request,
      embeddings,
      advisory,
    });
    if (request === body || embeddings === body) ctx.receivedText = text;
    if (parsed.operation === 'chat' && parsed.native) ctx.setNativeRequest(parsed.native, parsed.losses);
    await runExchange(koa, ctx, deps, frontEnd, parsed.state);
  };
}

/** Embeddings input as a chat request with nothing to generate: what chat-minded plugins read. */
function chatView(request: EmbeddingsRequest): ChatCompletionRequest {
  const input = request.input;
  const text = typeof input === 'string' ? input : input.every((i) => typeof i === 'string') ? (input as string[]).join('\n') : '';
  return { model: request.model, messages: [{ role: 'user', content: text }], max_tokens: 0 };
}

async function runExchange(koa: KoaContext, ctx: GatewayContext, { pipeline, events }: ExchangeDeps, frontEnd: FrontEnd<unknown>, state: unknown): Promise<void> {
  followClient(koa, ctx, events);
  events.emit('request:start', ctx);
  let read = false;
  try {
    await pipeline(ctx);
    ctx.forgetClientJson();
    if (!ctx.response) throw new GatewayError('internal', 'No plugin produced a response.', { code: 'no_response', retryable: false });
    if (ctx.response.kind === 'stream') {
      read = true;
      // Failures before the first chunk still get a real HTTP status.
      const chunks = await primeStream(ctx.response.chunks);
      // The rest of this stream is only read in place (the kernel, lazyChunks taps): the adapter may stop parsing it.
      if (frontEnd.passThrough === true && isPassable(chunks)) allowPassThrough(ctx);
      setGatewayHeaders(koa, ctx);
      koa.respond = false;
      events.emit('response', ctx);
      await writeSse(koa.res, frontEnd.renderStream(ctx, chunks, state), frontEnd.streamContentType);
      return;
    }
    setGatewayHeaders(koa, ctx);
    // Koa's response itself, not the context's delegates to it: a delegate sets the property by a
    // computed name, which V8 sends through its runtime to find each setter (about 20 thousand
    // instructions a request for these three, with the setters' own work; measured without inlining).
    const response = koa.response;
    const answer = ctx.response;
    response.status = answer.status;
    const body = await frontEnd.renderJson(ctx, answer.body, state);
    if (isJsonValue(body)) {
      // Serialised here rather than by Koa, once, so that plugins reading the answer's text after
      // it was sent (the usage log's bodies) need not serialise it again; not at all while the
      // front-end sends the upstream's answer itself, unchanged (RawJson: identity, never edited in place).
      const raw = answer.raw;
      const text = raw !== undefined && raw.body === body ? raw.text : JSON.stringify(body);
      ctx.sentJson = { body, text };
      // Koa's `type = 'json'` looks the type up (mime-types, an LRU) and sets it through its own
      // `set`: about 7 thousand instructions for a constant. Its body setter then sees the type set.
      koa.res.setHeader('Content-Type', JSON_TYPE);
      response.body = text;
    } else {
      // JSON text or bytes a front-end already has (an upstream's own answer), sent as they are:
      // typed as JSON here, unless the front-end typed them, before Koa would call a string text.
      if (!koa.res.hasHeader('Content-Type')) koa.res.setHeader('Content-Type', JSON_TYPE);
      response.body = body;
    }
    ctx.timings.firstByteMs = ctx.elapsed();
    events.emit('response', ctx);
  } catch (cause) {
    const error = toGatewayError(cause);
    ctx.error = error;
    // Read by the kernel, a stream ends with its failure, or goes on to the client's end.
    if (!read) letGoOfUnsentStream(ctx, error);
    setGatewayHeaders(koa, ctx);
    throw error;
  }
}

const JSON_TYPE = 'application/json; charset=utf-8';

/** An answer Koa would have serialised as JSON itself: an object or array, not bytes or a stream. */
function isJsonValue(body: unknown): body is object {
  return typeof body === 'object' && body !== null && !ArrayBuffer.isView(body) && typeof (body as { pipe?: unknown }).pipe !== 'function';
}

/** The one place the hint turns true (see `PassThroughHint`); adapters only read it. */
function allowPassThrough(ctx: GatewayContext): void {
  (ctx.passThrough as { allowed: boolean }).allowed = true;
}

/** True when the stream stopped because the client left: there is nobody to tell. */
export function clientGone(ctx: GatewayContext): boolean {
  return ctx.signal.aborted && toGatewayError(ctx.signal.reason).kind === 'client_closed';
}

/**
 * Says what happened upstream: who answered, which model, after how many tries, and whether that
 * was a fallback. Set on Node's response directly: Koa's `set` builds three arrays for each header,
 * for every request (a failure after the stream started has sent its headers already: none then).
 */
const HEADER_SAFE = /^[\x20-\x7e]{1,256}$/;

function setGatewayHeaders(koa: KoaContext, ctx: GatewayContext): void {
  const res = koa.res;
  if (res.headersSent) return;
  const last = ctx.attempts.at(-1)?.target;
  const provider = ctx.servedBy?.provider ?? ctx.error?.provider ?? last?.provider;
  if (provider) res.setHeader('x-gateway-provider', provider);
  const model = ctx.servedBy?.model ?? last?.model;
  // The model may be the client's own name: only one a header can carry, and short (else left out).
  if (model && HEADER_SAFE.test(model)) res.setHeader('x-gateway-model', model);
  if (ctx.attempts.length > 0) res.setHeader('x-gateway-attempts', String(ctx.attempts.length));
  const first = ctx.route?.targets[0];
  if (ctx.servedBy && first) {
    const fellBack = ctx.servedBy.provider !== first.provider || ctx.servedBy.model !== first.model;
    res.setHeader('x-gateway-fallback', fellBack ? 'true' : 'false');
  }
}

/**
 * Ties the request's life to the client's connection: a client that leaves aborts the upstream
 * work, and the end of the exchange, however it ends, is announced once as `request:end`.
 */
function followClient(koa: KoaContext, ctx: GatewayContext, events: EventBus): void {
  const res = koa.res;
  res.once('close', () => {
    if (!res.writableFinished && wasCutByShutdown(res)) {
      const cut = new GatewayError('unavailable', 'The gateway shut down before the answer was complete.', { code: 'server_shutdown' });
      ctx.abort(cut);
      // What the usage log, metrics and the access log read an error's code and status from.
      ctx.error ??= cut;
      ctx.outcome = 'error';
    } else if (!res.writableFinished) {
      const closed = new GatewayError('client_closed', 'The client closed the connection before the answer was complete.', { retryable: false });
      ctx.abort(closed);
      ctx.outcome = 'client_aborted';
      // Left before anything was sent: the status every record reads (the usage log, metrics, the
      // access log, a trace: `ctx.error?.status ?? res.statusCode`) is a closed request's, 499, not
      // Koa's default 404. A stream that started keeps the 200 its client was sent.
      if (!res.headersSent) res.statusCode = closed.status;
    } else {
      ctx.outcome = ctx.error ? 'error' : 'ok';
    }
    ctx.timings.totalMs = ctx.elapsed();
    if (ctx.usage) events.emit('usage', ctx, ctx.usage);
    if (ctx.error) events.emit('error', ctx.error, ctx);
    events.emit('request:end', ctx);
  });
}
