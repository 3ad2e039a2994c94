/**
 * `POST /v1/chat/completions`: parse and check the request, run it through the request pipeline,
 * and hand the answer to the client as JSON or as server-sent events.
 */
import type { Context as KoaContext } from 'koa';
import { GatewayContext } from '../context.js';
import { GatewayError, toGatewayError } from '../errors.js';
import type { EventBus } from '../events.js';
import type { Terminal } from '../pipeline.js';
import { validateChatRequest } from '../protocol/validate-chat-request.js';
import { primeStream } from '../stream.js';
import { readJsonBody } from './read-json-body.js';
import { readRoutingHints } from '../routing/hints.js';
import { writeSseResponse } from './sse-response.js';

export interface ChatRouteDeps {
  pipeline: Terminal;
  events: EventBus;
  bodyLimit: number;
}

export function chatCompletionsRoute({ pipeline, events, bodyLimit }: ChatRouteDeps) {
  return async function chatCompletions(koa: KoaContext): Promise<void> {
    const startedAt = koa.startedAt;
    const body = await readJsonBody(koa.req, bodyLimit);
    // The `gateway` object is for the gateway only: it never reaches an upstream.
    const hintsInBody = body.gateway;
    if (hintsInBody !== undefined) delete body.gateway;
    const hints = readRoutingHints(koa.req.headers, hintsInBody);
    const request = validateChatRequest(body);
    const ctx = new GatewayContext({ endpoint: 'chat.completions', id: koa.requestId, http: koa, request, startedAt });
    ctx.hints = hints;
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
        await writeSseResponse(koa.res, ctx, chunks);
        return;
      }
      setGatewayHeaders(koa, ctx);
      koa.status = ctx.response.status;
      koa.body = ctx.response.body;
      ctx.timings.firstByteMs = ctx.elapsed();
      events.emit('response', ctx);
    } catch (cause) {
      const error = toGatewayError(cause);
      ctx.error = error;
      setGatewayHeaders(koa, ctx);
      throw error;
    }
  };
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
