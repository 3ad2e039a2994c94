/**
 * The OpenTelemetry side of gateway:tracing, imported only when an endpoint is configured: a tracer
 * provider of its own (the global one is left alone, for programs that embed the gateway), spans
 * started and ended from the request's events, and one CLIENT span per upstream try from the
 * innermost upstream hook, whose context goes upstream as `traceparent`.
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, defaultTextMapGetter, defaultTextMapSetter, trace, type Attributes, type Context, type Span } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import type { Context as KoaContext } from 'koa';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ATTR_ERROR_TYPE, ATTR_HTTP_REQUEST_METHOD, ATTR_HTTP_RESPONSE_STATUS_CODE, ATTR_HTTP_ROUTE, ATTR_SERVICE_NAME, ATTR_URL_PATH } from '@opentelemetry/semantic-conventions';
import { outsidePipeline, refusedOnTheApi, tapStream, toGatewayError, type ChatCompletionChunk, type GatewayContext, type GatewayError, type PluginHooks, type PluginHost, type UpstreamCall, type UpstreamResult } from 'llm-gateway/plugin';
import { defaultPricing, pricing as pricingService } from 'llm-gateway/plugins/cost';
import { cacheOutcome } from 'llm-gateway/plugins/cache';
import { usageOf } from 'llm-gateway/plugins/token-counter';
import { createRedactor, cutRedacted } from 'llm-gateway/plugins/usage-logger';
import { withinMs } from 'llm-gateway/store';
import { GATEWAY, GEN_AI, finishReasons, inputMessages, operationName, outputMessages, providerName, requestAttributes } from './attributes.js';

export interface TracingSettings {
  url: string;
  serviceName: string | undefined;
  captureContent: boolean;
  redact: string[];
  maxContentLength: number;
  propagate: boolean;
}

interface RequestTrace {
  readonly server: Span;
  readonly context: Context;
  tries: number;
  /** Try spans not ended yet (streams still flowing): ended at `request:end` at the latest. */
  readonly open: Set<Span>;
}

/** Spans are flushed at shutdown for at most this long: an unreachable collector must not hold the exit. */
const SHUTDOWN_WAIT_MS = 5000;

export function startTracing(host: PluginHost, settings: TracingSettings): PluginHooks {
  const resource = defaultResource()
    .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: 'llm-gateway' }))
    // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, over the defaults.
    .merge(detectResources({ detectors: [envDetector] }))
    .merge(settings.serviceName ? resourceFromAttributes({ [ATTR_SERVICE_NAME]: settings.serviceName }) : null);
  const provider = new BasicTracerProvider({ resource, spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: settings.url }))] });
  const tracer = provider.getTracer('llm-gateway');
  const propagator = new W3CTraceContextPropagator();
  const traces = new WeakMap<GatewayContext, RequestTrace>();
  const redact = createRedactor(settings.redact);
  // Redacted before it is cut: a secret the cut runs through is still recognised whole.
  const content = (text: string) => cutRedacted(text, settings.maxContentLength, redact);
  const pricing = () => host.tryResolve(pricingService) ?? defaultPricing();
  const providerType = (id: string) => host.provider(id)?.type;
  host.logger.info(`tracing to ${settings.url}`);

  host.events.on('request:start', (ctx) => {
    const parent = propagator.extract(ROOT_CONTEXT, ctx.http.headers, defaultTextMapGetter);
    const attributes: Attributes = {
      [ATTR_HTTP_REQUEST_METHOD]: ctx.http.method,
      [ATTR_URL_PATH]: ctx.http.path,
      [ATTR_HTTP_ROUTE]: ctx.http.path,
      [GEN_AI.operation]: operationName(ctx.operation, ctx.endpoint),
      [GEN_AI.requestModel]: ctx.request.model,
      [GATEWAY.requestId]: ctx.id,
      [GATEWAY.frontEnd]: ctx.endpoint,
      [GATEWAY.stream]: ctx.request.stream === true,
      ...requestAttributes(ctx.request),
    };
    const server = tracer.startSpan(`${ctx.http.method} ${ctx.http.path}`, { kind: SpanKind.SERVER, startTime: epochMs(ctx.timings.startedAt), attributes }, parent);
    if (settings.captureContent && server.isRecording()) server.setAttribute(GEN_AI.inputMessages, inputMessages(ctx.request.messages, content));
    traces.set(ctx, { server, context: trace.setSpan(parent, server), tries: 0, open: new Set() });
  });

  host.events.on('request:end', (ctx) => {
    const state = traces.get(ctx);
    if (!state) return;
    traces.delete(ctx);
    const end = epochMs(ctx.timings.startedAt + (ctx.timings.totalMs ?? ctx.elapsed()));
    for (const span of state.open) span.end(end);
    const { server } = state;
    // Not sampled: nothing to describe, only the context that went upstream mattered.
    if (!server.isRecording()) return server.end(end);
    const status = ctx.error?.status ?? ctx.http.res.statusCode;
    server.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, status);
    server.setAttribute(GATEWAY.attempts, ctx.attempts.length);
    server.setAttribute(GATEWAY.outcome, ctx.outcome ?? 'ok');
    if (ctx.route) {
      server.setAttribute(GATEWAY.routeReason, ctx.route.reason);
      if (ctx.route.virtualModel) server.setAttribute(GATEWAY.virtualModel, ctx.route.virtualModel);
    }
    const cache = ctx.get(cacheOutcome);
    if (cache) server.setAttribute(GATEWAY.cache, cache);
    if (ctx.servedBy) {
      server.setAttribute(GATEWAY.provider, ctx.servedBy.provider);
      server.setAttribute(GEN_AI.provider, providerName(providerType(ctx.servedBy.provider), ctx.servedBy.provider));
      server.setAttribute(GEN_AI.responseModel, ctx.servedBy.model);
      const { usage } = usageOf(ctx);
      server.setAttribute(GEN_AI.inputTokens, usage.prompt_tokens ?? 0);
      server.setAttribute(GEN_AI.outputTokens, usage.completion_tokens ?? 0);
      const micros = pricing().costMicros(ctx.servedBy, usage);
      if (micros !== undefined) server.setAttribute(GATEWAY.costUsd, micros / 1e6);
    }
    if (ctx.error) {
      server.setAttribute(ATTR_ERROR_TYPE, errorType(ctx.error));
      // As HTTP servers do: a 4xx is the client's problem, not this span's.
      if (status >= 500) server.setStatus({ code: SpanStatusCode.ERROR, message: ctx.error.message });
    }
    server.end(end);
  });

  /** A request the pipeline never saw (refused before it: a 400 on its body, a 401 for its key) on the API's paths: its SERVER span alone. */
  const refusedSpan = (http: KoaContext, aborted: boolean) => {
    if (!refusedOnTheApi(http, aborted, host)) return;
    const status = http.res.statusCode;
    const parent = propagator.extract(ROOT_CONTEXT, http.headers, defaultTextMapGetter);
    const attributes: Attributes = {
      [ATTR_HTTP_REQUEST_METHOD]: http.method,
      [ATTR_URL_PATH]: http.path,
      [GATEWAY.requestId]: http.requestId,
      [ATTR_HTTP_RESPONSE_STATUS_CODE]: status,
      [GATEWAY.outcome]: aborted ? 'client_aborted' : 'error',
      ...(status >= 400 ? { [ATTR_ERROR_TYPE]: String(status) } : {}),
    };
    const span = tracer.startSpan(`${http.method} ${http.path}`, { kind: SpanKind.SERVER, startTime: epochMs(http.startedAt), attributes }, parent);
    if (status >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end(epochMs(performance.now()));
  };

  return {
    gate: outsidePipeline(host, refusedSpan),
    upstream: (next) =>
      async function traceTry(call: UpstreamCall): Promise<UpstreamResult> {
        const state = traces.get(call.ctx);
        if (!state) return next(call);
        const { ctx, target } = call;
        const operation = operationName(ctx.operation, ctx.endpoint);
        const first = ctx.route?.targets[0];
        const attributes: Attributes = {
          [GEN_AI.operation]: operation,
          [GEN_AI.provider]: providerName(providerType(target.provider), target.provider),
          [GEN_AI.requestModel]: target.model,
          [GATEWAY.provider]: target.provider,
          [GATEWAY.attempt]: ++state.tries,
          [GATEWAY.fallback]: first !== undefined && (first.provider !== target.provider || first.model !== target.model),
          ...requestAttributes(ctx.request),
        };
        const span = tracer.startSpan(`${operation} ${target.model}`, { kind: SpanKind.CLIENT, startTime: epochMs(performance.now()), attributes }, state.context);
        state.open.add(span);
        const end = () => {
          if (state.open.delete(span)) span.end(epochMs(performance.now()));
        };
        let headers = call.headers;
        if (settings.propagate) {
          const carrier: Record<string, string> = {};
          propagator.inject(trace.setSpan(state.context, span), carrier, defaultTextMapSetter);
          headers = { ...call.headers, ...carrier };
        }
        let result: UpstreamResult;
        try {
          result = await next(headers === call.headers ? call : { ...call, headers });
        } catch (error) {
          failed(span, toGatewayError(error));
          end();
          throw error;
        }
        if (!span.isRecording()) {
          end();
          return result;
        }
        if (result.kind === 'json') {
          const body = result.body;
          span.setAttributes({ [GEN_AI.responseModel]: body.model, [GEN_AI.responseId]: body.id, [GEN_AI.finishReasons]: finishReasons(body) });
          if (body.usage) span.setAttributes({ [GEN_AI.inputTokens]: body.usage.prompt_tokens ?? 0, [GEN_AI.outputTokens]: body.usage.completion_tokens ?? 0 });
          if (settings.captureContent) span.setAttribute(GEN_AI.outputMessages, outputMessages(body.choices, content));
          end();
          return result;
        }
        if (result.kind === 'embeddings') {
          span.setAttributes({ [GEN_AI.responseModel]: result.body.model ?? target.model, [GEN_AI.inputTokens]: result.body.usage?.prompt_tokens ?? 0 });
          end();
          return result;
        }
        return { ...result, chunks: followStream(result.chunks, span, end) };
      },

    async close() {
      await withinMs(SHUTDOWN_WAIT_MS, provider.shutdown()).catch((error: Error) => host.logger.warn('spans could not be flushed at shutdown', { error: error.message }));
    },
  };

  /** Notes what a stream says about itself as it passes (nothing is held back), and ends the span with it. */
  function followStream(chunks: AsyncIterable<ChatCompletionChunk>, span: Span, end: () => void): AsyncIterable<ChatCompletionChunk> {
    let id: string | undefined;
    let model: string | undefined;
    const reasons: string[] = [];
    let text = settings.captureContent ? '' : undefined;
    return tapStream(chunks, {
      // Fields are read, no chunk is kept: the stream may still be passed through.
      lazyChunks: true,
      chunk(chunk) {
        id ??= chunk.id;
        model ??= chunk.model;
        for (const choice of chunk.choices ?? []) {
          if (choice.finish_reason) reasons.push(choice.finish_reason);
          if (text !== undefined && typeof choice.delta?.content === 'string' && text.length <= settings.maxContentLength) text += choice.delta.content;
        }
        if (chunk.usage) span.setAttributes({ [GEN_AI.inputTokens]: chunk.usage.prompt_tokens ?? 0, [GEN_AI.outputTokens]: chunk.usage.completion_tokens ?? 0 });
      },
      end(error) {
        if (error !== undefined) failed(span, toGatewayError(error));
        if (id) span.setAttribute(GEN_AI.responseId, id);
        if (model) span.setAttribute(GEN_AI.responseModel, model);
        span.setAttribute(GEN_AI.finishReasons, reasons);
        if (text !== undefined) span.setAttribute(GEN_AI.outputMessages, outputMessages([{ message: { role: 'assistant', content: text }, finish_reason: reasons[0] ?? null }], content));
        end();
      },
    });
  }

}

function failed(span: Span, error: GatewayError): void {
  span.setAttribute(ATTR_ERROR_TYPE, errorType(error));
  if (error.status) span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, error.status);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
}

/** Low-cardinality, as the conventions ask: the error's code, else its HTTP status. */
function errorType(error: GatewayError): string {
  return error.code ?? String(error.status);
}

/**
 * A `performance.now()` time as milliseconds since the epoch, on the one clock every span of the
 * gateway is timed by. Left to the SDK, a span's times are anchored to `Date.now()` (whole
 * milliseconds, and a clock that may be adjusted) when that span is made, so a try's span could
 * end a millisecond or two after its request's.
 */
function epochMs(performanceMs: number): number {
  return performance.timeOrigin + performanceMs;
}
