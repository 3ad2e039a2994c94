/**
 * One client exchange, whatever API it came in on: run the request through the pipeline, then hand
 * the answer over as JSON or as a stream in the front-end's own format. The OpenAI and Anthropic
 * front-ends differ only in how they parse the request and render the answer.
 */
import type { Context as KoaContext } from 'koa';
import type { GatewayContext } from '../context.js';
import { GatewayError, toGatewayError } from '../errors.js';
import type { EventBus } from '../events.js';
import type { Terminal } from '../pipeline.js';
import type { ChatCompletion, ChatCompletionChunk, EmbeddingsResponse } from '../protocol/openai.js';
import { primeStream } from '../stream.js';
import { writeSse } from './sse-response.js';

export interface FrontEnd {
  /** The JSON body the client gets for a whole answer. */
  renderJson(completion: ChatCompletion): unknown;
  /** The JSON body for embeddings (only the OpenAI front-end serves them). */
  renderEmbeddings?(body: EmbeddingsResponse): unknown;
  /** The server-sent events the client gets for a streamed answer, errors included. */
  encodeStream(chunks: AsyncIterable<ChatCompletionChunk>): AsyncIterable<string>;
}

export interface ExchangeDeps {
  pipeline: Terminal;
  events: EventBus;
}

export async function runExchange(koa: KoaContext, ctx: GatewayContext, { pipeline, events }: ExchangeDeps, frontEnd: FrontEnd): Promise<void> {
  followClient(koa, ctx, events);
  events.emit('request:start', ctx);
  try {
    await pipeline(ctx);
    if (!ctx.response) throw new GatewayError('internal', 'No plugin produced a response.', { code: 'no_response', retryable: false });
    if (ctx.response.kind === 'stream') {
      // Failures before the first chunk still get a real HTTP status.
      const chunks = await primeStream(ctx.response.chunks);
      setGatewayHeaders(koa, ctx);
      koa.respond = false;
      events.emit('response', ctx);
      await writeSse(koa.res, frontEnd.encodeStream(chunks));
      return;
    }
    setGatewayHeaders(koa, ctx);
    koa.status = ctx.response.status;
    koa.body = ctx.response.kind === 'json' ? frontEnd.renderJson(ctx.response.body) : (frontEnd.renderEmbeddings?.(ctx.response.body) ?? ctx.response.body);
    ctx.timings.firstByteMs = ctx.elapsed();
    events.emit('response', ctx);
  } catch (cause) {
    const error = toGatewayError(cause);
    ctx.error = error;
    setGatewayHeaders(koa, ctx);
    throw error;
  }
}

/** True when the stream stopped because the client left: there is nobody to tell. */
export function clientGone(ctx: GatewayContext): boolean {
  return ctx.signal.aborted && toGatewayError(ctx.signal.reason).kind === 'client_closed';
}

/** Says what happened upstream: who answered, which model, after how many tries, and whether that was a fallback. */
function setGatewayHeaders(koa: KoaContext, ctx: GatewayContext): void {
  const last = ctx.attempts.at(-1)?.target;
  const provider = ctx.servedBy?.provider ?? ctx.error?.provider ?? last?.provider;
  if (provider) koa.set('x-gateway-provider', provider);
  const model = ctx.servedBy?.model ?? last?.model;
  if (model) koa.set('x-gateway-model', model);
  if (ctx.attempts.length > 0) koa.set('x-gateway-attempts', String(ctx.attempts.length));
  const first = ctx.route?.targets[0];
  if (ctx.servedBy && first) {
    const fellBack = ctx.servedBy.provider !== first.provider || ctx.servedBy.model !== first.model;
    koa.set('x-gateway-fallback', fellBack ? 'true' : 'false');
  }
}

/**
 * Ties the request's life to the client's connection: a client that leaves aborts the upstream
 * work, and the end of the exchange, however it ends, is announced once as `request:end`.
 */
function followClient(koa: KoaContext, ctx: GatewayContext, events: EventBus): void {
  const res = koa.res;
  res.once('close', () => {
    if (!res.writableFinished) {
      ctx.abort(new GatewayError('client_closed', 'The client closed the connection before the answer was complete.', { retryable: false }));
      ctx.outcome = 'client_aborted';
    } else {
      ctx.outcome = ctx.error ? 'error' : 'ok';
    }
    ctx.timings.totalMs = ctx.elapsed();
    if (ctx.usage) events.emit('usage', ctx, ctx.usage);
    if (ctx.error) events.emit('error', ctx.error, ctx);
    events.emit('request:end', ctx);
  });
}
