/**
 * From events to metrics. Everything is read from the request's context once the exchange is over
 * (`request:end`), except what is "now" (requests and streams in flight), so a request pays for
 * nothing but a few counter updates after its answer was sent.
 */
import type { Context as KoaContext } from 'koa';
import { classifyFailure, genAiOperationName, refusedOnTheApi, type Attempt, type GatewayContext, type PluginHost } from 'llm-gateway/plugin';
import { callerKeySlot } from 'llm-gateway/plugins/auth';
import { defaultPricing, pricing as pricingService } from 'llm-gateway/plugins/cost';
import { usageOf } from 'llm-gateway/plugins/token-counter';
import { BoundedLabel } from './bounded-labels.js';
import type { Instruments } from './instruments.js';
import { cacheOutcome } from 'llm-gateway/plugins/cache';

export interface ObserveOptions {
  labels: { key?: boolean; team?: boolean };
  maxLabelValues: number;
}

/** `provider/model` deployment names, split where the provider id ends (model names may hold `/`). */
export function splitDeployment(deployment: string): { provider: string; model: string } {
  const slash = deployment.indexOf('/');
  return slash < 0 ? { provider: deployment, model: '' } : { provider: deployment.slice(0, slash), model: deployment.slice(slash + 1) };
}

export class Labels {
  readonly model: BoundedLabel;
  readonly provider: BoundedLabel;
  readonly key: BoundedLabel;
  readonly team: BoundedLabel;
  readonly frontEnd: BoundedLabel;

  /** `forgotten`: a value let go, with the label names it is written under: its series are to be taken out. */
  constructor(cap: number, idleMs = Infinity, forgotten: (labelNames: readonly string[], value: string) => void = () => undefined) {
    const label = (...names: string[]) => new BoundedLabel(cap, idleMs, (value) => forgotten(names, value));
    this.model = label('model', 'gen_ai_request_model');
    this.provider = label('provider', 'gen_ai_provider_name');
    this.key = label('key');
    this.team = label('team');
    // Front-ends are code, not input, but a plugin may add many: the same cap keeps them honest.
    // Never let go for idleness: the in-flight gauges count by it, and a request longer than the idle
    // time would end by counting down a series taken out (-1).
    this.frontEnd = new BoundedLabel(cap);
  }

  /** Lets go of the values not seen for the idle time, in every label. */
  sweep(): void {
    const now = Date.now();
    for (const label of [this.model, this.provider, this.key, this.team, this.frontEnd]) label.sweep(now);
  }
}

/** Listens to the requests' events; returns what hears a request outside the pipeline (for `outsidePipeline`). */
export function observe(host: PluginHost, m: Instruments, labels: Labels, options: ObserveOptions): (http: KoaContext, aborted: boolean) => void {
  const pricing = () => host.tryResolve(pricingService) ?? defaultPricing();
  const streaming = new WeakSet<GatewayContext>();
  const principal = (ctx: GatewayContext): Record<string, string> => {
    if (!options.labels.key && !options.labels.team) return {};
    const key = ctx.get(callerKeySlot);
    return {
      ...(options.labels.key ? { key: labels.key.value(key?.name) } : {}),
      ...(options.labels.team ? { team: labels.team.value(key?.team) } : {}),
    };
  };

  host.events.on('request:start', (ctx) => m.inFlightRequests.inc({ front_end: labels.frontEnd.value(ctx.endpoint) }));
  host.events.on('response', (ctx) => {
    if (ctx.response?.kind !== 'stream') return;
    streaming.add(ctx);
    m.inFlightStreams.inc({ front_end: labels.frontEnd.value(ctx.endpoint) });
  });
  host.events.on('request:end', (ctx) => {
    const frontEnd = labels.frontEnd.value(ctx.endpoint);
    m.inFlightRequests.dec({ front_end: frontEnd });
    if (streaming.delete(ctx)) m.inFlightStreams.dec({ front_end: frontEnd });
    record(ctx, frontEnd);
  });

  /**
   * A request the pipeline never saw, refused before it (a 400 or 413 on its body, a 401 for its
   * key) on the API's paths: counted with nobody as provider and model. Its API is read off its
   * path; other paths (a 404 on a path nobody serves) count as `none`, so the label stays a fixed set.
   */
  function recordRefused(http: KoaContext, aborted: boolean): void {
    if (!refusedOnTheApi(http, aborted, host)) return;
    const status = http.res.statusCode;
    const frontEnd = labels.frontEnd.value(host.frontEndAt(http.path));
    m.requests.inc({ front_end: frontEnd, provider: 'none', model: 'none', status_class: `${Math.floor(status / 100)}xx`, outcome: aborted ? 'client_aborted' : 'error', ...(options.labels.key ? { key: 'none' } : {}), ...(options.labels.team ? { team: 'none' } : {}) });
  }

  function record(ctx: GatewayContext, frontEnd: string): void {
    const served = ctx.servedBy ?? ctx.attempts.at(-1)?.target;
    const provider = labels.provider.value(served?.provider ?? ctx.error?.provider);
    const model = labels.model.value(served?.model);
    const who = principal(ctx);
    const status = ctx.error?.status ?? ctx.http.res.statusCode;
    const operation = genAiOperationName(ctx.operation, ctx.endpoint);
    const genAi = { gen_ai_operation_name: operation, gen_ai_provider_name: provider, gen_ai_request_model: model };
    const totalMs = ctx.timings.totalMs ?? ctx.elapsed();

    m.requests.inc({ front_end: frontEnd, provider, model, status_class: `${Math.floor(status / 100)}xx`, outcome: ctx.outcome ?? 'ok', ...who });
    m.requestDuration.observe({ ...genAi, front_end: frontEnd, error_type: ctx.error ? classifyFailure(ctx.error) : '' }, totalMs / 1000);

    const cache = ctx.get(cacheOutcome);
    if (cache) m.cache.inc({ front_end: frontEnd, outcome: cache });

    // The first try is a fallback too when the route's first target was passed over without a try
    // (an open circuit, a deployment the rate limits know is spent), as x-gateway-fallback says.
    let previous: Pick<Attempt, 'target'> | undefined = ctx.route?.targets[0] ? { target: ctx.route.targets[0] } : undefined;
    for (const attempt of ctx.attempts) {
      const tried = { provider: labels.provider.value(attempt.target.provider), model: labels.model.value(attempt.target.model) };
      // A stream the client left is still running upstream when the request ends: it ends now.
      const endedAt = attempt.endedAt ?? (ctx.outcome === 'client_aborted' ? ctx.timings.totalMs ?? ctx.elapsed() : undefined);
      if (endedAt !== undefined) {
        const errorType = attempt.error ? classifyFailure(attempt.error) : attempt.endedAt === undefined ? 'client_closed' : '';
        m.upstreamDuration.observe({ gen_ai_operation_name: operation, gen_ai_provider_name: tried.provider, gen_ai_request_model: tried.model, error_type: errorType }, (endedAt - attempt.startedAt) / 1000);
      }
      if (previous) {
        const same = previous.target.provider === attempt.target.provider && previous.target.model === attempt.target.model;
        (same ? m.retries : m.fallbacks).inc(tried);
      }
      previous = attempt;
    }

    if (ctx.outcome === 'ok' || ctx.outcome === undefined) {
      const overhead = overheadMs(ctx);
      if (overhead !== undefined) m.overhead.observe({ front_end: frontEnd }, overhead / 1000);
    }
    if (streaming.has(ctx) || ctx.response?.kind === 'stream') observeStream(ctx, genAi, frontEnd);

    // Only an answer that started is billed (as in the usage log): refusals and failed tries spend nothing.
    if (!ctx.servedBy) return;
    const { usage } = usageOf(ctx);
    const input = usage.prompt_tokens ?? 0;
    const output = usage.completion_tokens ?? 0;
    m.tokenUsage.observe({ ...genAi, gen_ai_token_type: 'input' }, input);
    m.tokenUsage.observe({ ...genAi, gen_ai_token_type: 'output' }, output);
    const byType: Record<string, number> = {
      input,
      output,
      cached: usage.prompt_tokens_details?.cached_tokens ?? 0,
      cache_write: usage.prompt_tokens_details?.cache_write_tokens ?? 0,
      reasoning: usage.completion_tokens_details?.reasoning_tokens ?? 0,
    };
    for (const [type, count] of Object.entries(byType)) if (count > 0) m.tokens.inc({ provider, model, type, ...who }, count);
    const micros = pricing().costMicros(ctx.servedBy, usage);
    if (micros !== undefined) m.cost.inc({ provider, model, ...who }, micros / 1e6);
  }

  function observeStream(ctx: GatewayContext, genAi: Record<string, string>, frontEnd: string): void {
    // The first chunk was sent, however the stream ended after it: the client waited that long.
    const ttft = ctx.timings.firstByteMs;
    if (ttft === undefined) return;
    m.timeToFirstToken.observe({ ...genAi, front_end: frontEnd }, ttft / 1000);
    if (ctx.outcome !== 'ok') return;
    const output = ctx.usage?.completion_tokens;
    const totalMs = ctx.timings.totalMs;
    if (output !== undefined && output > 1 && totalMs !== undefined) m.timePerOutputToken.observe(genAi, (totalMs - ttft) / 1000 / (output - 1));
  }
  return recordRefused;
}

/**
 * What the gateway added before the client's first byte: the time before the first upstream try
 * (parsing, auth, routing) plus the time between the served try's answer (its whole body, or its
 * first chunk) and that answer's first byte to the client. Backoff between tries and the tries
 * themselves are upstream time, not overhead. Undefined when nothing went upstream (a cache hit).
 */
function overheadMs(ctx: GatewayContext): number | undefined {
  const first = ctx.attempts[0];
  const served = ctx.attempts.at(-1);
  const firstByte = ctx.timings.firstByteMs;
  if (!first || !served || firstByte === undefined || served.outcome !== 'ok') return undefined;
  const arrived = ctx.response?.kind === 'stream' ? served.firstChunkAt : served.headersAt;
  if (arrived === undefined) return undefined;
  return Math.max(0, first.startedAt + (firstByte - arrived));
}
