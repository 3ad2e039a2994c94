/**
 * The innermost upstream handler: one try against one target. It records the attempt on the
 * context, emits `attempt:start` / `attempt:end`, and makes sure whatever fails comes out as a
 * GatewayError that names the provider.
 */
import { defineSlot, requestAbort, type Attempt, type GatewayContext } from './context.js';
import { GatewayError, isGatewayError, notFound } from './errors.js';
import type { EventBus } from './events.js';
import type { UpstreamCall, UpstreamHandler } from './plugin.js';
import type { ChatCompletionChunk, ChatCompletionRequest, EmbeddingsResponse, Usage } from './protocol/openai.js';
import type { ChatResult, EmbeddingsResult, Provider, Target, UpstreamResult } from './providers/provider.js';
import type { ProviderRuntime } from './live/provider-runtime.js';
import { rejectUnsupported, unsupportedParam, type UnsupportedParamsPolicy } from './providers/unsupported.js';
import type { TranslationLoss } from './protocol/native.js';
import { estimatedUsage, isEstimatedUsage } from './protocol/estimated-usage.js';
import { statedCostOf, withStatedCost } from './protocol/stated-cost.js';
import { AdvisoryFields } from './advisory.js';
import { deploymentOf } from './deployment-map.js';
import type { Logger } from './logger.js';
import { isMeaningfulChunk, markPassable, markUnchanged, tapStream } from './stream.js';
import { REQUEST_ABORT, RequestAbort, withLazySignal } from './request-abort.js';
import { askForStreamUsage } from './protocol/stream-usage.js';
import { rarely } from './rarely.js';

/** A provider's failures of one kind (`provider code`): the first logged, then one a minute (core/rarely.ts). */
type FailureLog = ReturnType<typeof rarely<string>>;

export function createProviderCall(runtime: ProviderRuntime, events: EventBus, logger: Logger): UpstreamHandler {
  const failureLog: FailureLog = rarely<string>();
  const advisory = new AdvisoryFields();
  const chat = async (provider: Provider, { ctx, target, signal: trySignal, headers }: UpstreamCall): Promise<ChatResult> => {
    // Per-target overrides are written in OpenAI terms, so such a target gets the translation.
    const native = target.params ? undefined : ctx.nativeRequest();
    const speaksNative = native !== undefined && provider.nativeProtocols?.includes(native.protocol) === true;
    const encodeBody = (body: object) => ctx.encodeBody(body);
    const send = (body: ChatCompletionRequest, nativeBody?: Record<string, unknown>) => {
      const input = {
        body,
        [REQUEST_ABORT]: callAbort(ctx, trySignal),
        headers: tryHeaders(ctx, headers),
        passThrough: ctx.passThrough,
        encodeBody,
        ...(speaksNative ? { native: nativeBody === undefined || nativeBody === native.body ? native : { ...native, body: nativeBody } } : {}),
      };
      return provider.chatCompletions(withLazySignal(input));
    };
    if (speaksNative) {
      const body = upstreamBody(ctx.request, target);
      if (!native.hints?.length) return send(body);
      return advisory.send(native.body, new Set(native.hints), deploymentOf(target), (nativeBody) => send(body, nativeBody));
    }
    applyPolicy(ctx, target.provider, runtime.registry.policy(target.provider));
    const asked = upstreamBody(ctx.request, target);
    // The ask for a stream's usage is the gateway's, not the client's: a host that refuses it is
    // asked again without, like a translation's hints.
    const hints = askForStreamUsage(asked) ? withStreamOptions(ctx.advisory) : ctx.advisory;
    return advisory.send(asked, hints, deploymentOf(target), send);
  };

  return async function callProvider(call) {
    const { ctx, target, signal: trySignal } = call;
    const provider = runtime.registry.get(target.provider);
    if (!provider) throw notFound(`No provider '${target.provider}' is configured.`, 'provider_not_found', 'model');

    const attempt: Attempt = { index: ctx.attempts.length, target, generation: runtime.registry.generation(target.provider), startedAt: ctx.elapsed(), outcome: 'pending' };
    ctx.attempts.push(attempt);
    events.emit('attempt:start', ctx, attempt);

    let result: UpstreamResult;
    try {
      result = ctx.operation === 'embeddings' ? await embed(provider, call) : await chat(provider, call);
    } catch (cause) {
      const error = asProviderError(cause, target.provider, ctx, logger, failureLog, trySignal);
      attempt.endedAt = ctx.elapsed();
      attempt.outcome = 'error';
      attempt.status = error.status;
      attempt.error = error;
      events.emit('attempt:end', ctx, attempt);
      throw error;
    }

    attempt.headersAt = ctx.elapsed();
    attempt.status = result.status;
    // A stream's, until it fails before its answer started (observeStream).
    ctx.servedBy = target;
    if (result.kind !== 'stream') {
      attempt.endedAt = attempt.headersAt;
      attempt.outcome = 'ok';
      ctx.usage = result.kind === 'json' ? result.body.usage : embeddingsUsage(result.body.usage);
      events.emit('attempt:end', ctx, attempt);
      return result;
    }
    attempt.outcome = 'ok';
    if (result.usageSoFar !== undefined) ctx.set(soFarSlot, { target, read: result.usageSoFar });
    events.emit('attempt:end', ctx, attempt);
    return { ...result, chunks: observeStream(result.chunks, ctx, attempt, logger, failureLog) };
  };
}

/** The stream whose adapter can say its usage so far (`StreamResult.usageSoFar`), and its target. */
const soFarSlot = defineSlot<{ readonly target: Target; readonly read: () => Usage | undefined }>('gateway:usage-so-far');

/**
 * The usage the provider stated of the answer the client gets (`servedBy`): all of it once
 * reported (`ctx.usage`), else what it said before a failure or the client's leaving cut its stream
 * short (Anthropic's prompt size in its first event, Gemini's counts in each event), else nothing.
 * The counts so far are a floor: the completion's may be behind what was sent (see `usageOf`).
 */
export function usageSoFar(ctx: GatewayContext): Usage | undefined {
  if (ctx.usage) return ctx.usage;
  const soFar = ctx.get(soFarSlot);
  return soFar !== undefined && soFar.target === ctx.servedBy ? soFar.read() : undefined;
}

/**
 * A translation that left something out goes up only where the provider's policy allows it
 * (offered tools are always left out, see TranslationLoss); what is left out is named to the client.
 */
function applyPolicy(ctx: GatewayContext, provider: string, policy: UnsupportedParamsPolicy): void {
  const losses = ctx.translationLosses();
  if (losses.length === 0) return;
  const required = losses.find((loss) => loss.kind === 'meaning');
  if (required) throw unsupportedParam(provider, required.param, required.why, required.errorFields);
  const refused = losses.find((loss) => loss.kind === 'content');
  if (refused) rejectUnsupported(policy, provider, refused.param, refused.why);
  ctx.http.set('x-gateway-dropped', losses.map((loss: TranslationLoss) => loss.param).join(','));
}

async function embed(provider: Provider, { ctx, target, signal: trySignal, headers }: UpstreamCall): Promise<EmbeddingsResult> {
  if (!provider.embeddings || !ctx.embeddings) {
    throw new GatewayError('invalid_request', `${target.provider} has no embeddings API.`, { provider: target.provider, code: 'unsupported_endpoint', param: 'model', retryable: false });
  }
  const input = { body: { ...ctx.embeddings, ...target.params, model: target.model }, [REQUEST_ABORT]: callAbort(ctx, trySignal), headers: tryHeaders(ctx, headers) };
  const result = await provider.embeddings(withLazySignal(input));
  return { kind: 'embeddings', status: result.status, headers: result.headers, body: result.body, raw: result.raw };
}

/** The request id, plus what interceptors added for this try (`UpstreamCall.headers`). */
function tryHeaders(ctx: GatewayContext, extra: UpstreamCall['headers']): Record<string, string> {
  return extra ? { ...extra, 'x-request-id': ctx.id } : { 'x-request-id': ctx.id };
}

/**
 * What aborts one try: the request's abort, joined with the try's own signal when it has one (a
 * deadline). A call input carries it under REQUEST_ABORT, so that the provider kit's client follows
 * it without making an AbortSignal (`followAbort`); the input's `signal` is made only if an
 * adapter reads it. Not AbortSignal.any, whose weak references cost more than the rest of a try's
 * bookkeeping.
 */
function callAbort(ctx: GatewayContext, trySignal: AbortSignal | undefined): RequestAbort {
  const abort = requestAbort(ctx);
  return trySignal ? RequestAbort.either(abort, trySignal) : abort;
}

/** Embeddings usage in chat terms: all prompt, no completion; the upstream's stated cost kept. */
function embeddingsUsage(usage: EmbeddingsResponse['usage'] | undefined): Usage | undefined {
  if (!usage) return undefined;
  const counted = { prompt_tokens: usage.prompt_tokens, completion_tokens: 0, total_tokens: usage.total_tokens ?? usage.prompt_tokens };
  const stated = statedCostOf(usage);
  if (stated !== undefined) withStatedCost(counted, stated);
  return isEstimatedUsage(usage) ? estimatedUsage(counted) : counted;
}

const STREAM_OPTIONS_ONLY: ReadonlySet<string> = new Set(['stream_options']);

/** A request's hints, with the `stream_options` the kernel added (no set made for the usual request without hints). */
function withStreamOptions(advisory: ReadonlySet<string>): ReadonlySet<string> {
  return advisory.size === 0 ? STREAM_OPTIONS_ONLY : new Set([...advisory, 'stream_options']);
}

/**
 * The client's request as this target receives it (its model name and its parameter overrides): a
 * copy, so that what the kernel adds for the target (the ask for a stream's usage) never shows in
 * the client's request.
 */
function upstreamBody(request: ChatCompletionRequest, target: Target): ChatCompletionRequest {
  return target.params ? { ...request, ...target.params, model: target.model } : { ...request, model: target.model };
}

/**
 * Notes the stream's usage and end on the attempt, without holding chunks back. It reads only
 * usage, and choices until the answer started, which a chunk passed through unparsed reads in
 * place, so the stream may be passed through; it changes none, so a front-end may replay the
 * upstream's own events until a plugin maps the stream (`markUnchanged`).
 *
 * A stream that fails before its first meaningful chunk (`primeStream`'s start of an answer) is a
 * failed try, whose answer never started: it no longer names the target that serves the request
 * (`servedBy`), which the next try sets if it answers; nothing is billed to it.
 */
function observeStream(chunks: AsyncIterable<ChatCompletionChunk>, ctx: GatewayContext, attempt: Attempt, logger: Logger, failureLog: FailureLog): AsyncIterable<ChatCompletionChunk> {
  let started = false;
  const observed = tapStream(chunks, {
    chunk(chunk) {
      attempt.firstChunkAt ??= ctx.elapsed();
      started ||= isMeaningfulChunk(chunk);
      if (chunk.usage) ctx.usage = chunk.usage;
    },
    mapError: (cause) => asProviderError(cause, attempt.target.provider, ctx, logger, failureLog),
    end(error) {
      if (error !== undefined) {
        attempt.outcome = 'error';
        attempt.error = error as GatewayError;
        if (!started && ctx.servedBy === attempt.target) ctx.servedBy = undefined;
      }
      attempt.endedAt = ctx.elapsed();
    },
  });
  return markPassable(markUnchanged(observed), ctx.passThrough);
}

/**
 * Adapters should throw GatewayErrors; anything else is a bug in the adapter, reported as a 502.
 * What an internal error says (hosts, paths, credentials) is logged with the request's id, never
 * sent to the client; so is the internal cause a GatewayError carries.
 */
function asProviderError(cause: unknown, provider: string, ctx: GatewayContext, logger: Logger, failureLog: FailureLog, trySignal?: AbortSignal): GatewayError {
  if (isGatewayError(cause)) {
    if (cause.cause !== undefined && !isGatewayError(cause.cause)) {
      failureLog(`${provider} ${cause.code}`, (notLogged) => logger.warn('provider call failed', { requestId: ctx.id, provider, error: cause.message, cause: cause.cause, ...(notLogged ? { failuresNotLogged: notLogged } : {}) }));
    }
    return cause;
  }
  if (trySignal?.aborted && isGatewayError(trySignal.reason)) return trySignal.reason;
  if (ctx.signal.aborted && isGatewayError(ctx.signal.reason)) return ctx.signal.reason;
  logger.error('provider adapter failed unexpectedly', { requestId: ctx.id, provider, error: cause as Error });
  return new GatewayError('upstream', `${provider}: the provider call failed; the gateway's log has the details (request ${ctx.id}).`, { provider, code: 'provider_error', cause });
}
