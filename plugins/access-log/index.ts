/**
 * `gateway:access-log`: one structured line per client request, written when the exchange is over
 * (answered, failed or abandoned), through the gateway's logger: JSON with `logging.format: json`,
 * `key=value` text otherwise, at the `info` level (so `logging.level: warn` silences it).
 *
 * Each line: request id, method and path, front-end, key name and team (with gateway:auth), the
 * requested model and the provider and model that answered, status and outcome, tokens (input,
 * output, cached, reasoning; `tokensEstimated` when the provider reported none), cost in USD,
 * latency, time to first byte, the number of upstream tries and whether one was a fallback, the
 * cache outcome (with a cache plugin), the error code. Never a secret: no headers, no keys, no
 * bodies. Requests that never reach the pipeline (a refused key, the admin API, `/v1/models`) get a
 * shorter line when they fail (`otherRoutes`).
 *
 * A plugin rather than the kernel logger's own: its fields come from other plugins (the key from
 * gateway:auth, cost from gateway:cost, the cache outcome from the cache's slot), which the kernel
 * never names, and a deployment that already logs at its load balancer does not pay for it.
 *
 * @example
 * logging: { format: 'json' }, plugins: [auth(), accessLog()]
 * // {"time":"…","level":"info","scope":"gateway:access-log","message":"POST /v1/chat/completions 200","requestId":"…","key":"ci",…}
 */
import type { Context as KoaContext } from 'koa';
import type { GatewayContext } from 'llm-gateway/plugin';
import { definePlugin, outsidePipeline } from 'llm-gateway/plugin';
import { authenticatedKey, callerKeySlot } from 'llm-gateway/plugins/auth';
import { defaultPricing, pricing as pricingService } from 'llm-gateway/plugins/cost';
import { cacheOutcome } from 'llm-gateway/plugins/cache';
import { usageOf } from 'llm-gateway/plugins/token-counter';

export interface AccessLogOptions {
  /** The level lines are written at. Default `info`. */
  level?: 'debug' | 'info';
  /** Log only requests that failed (status 400 and above, or abandoned by the client). Default false. */
  errorsOnly?: boolean;
  /**
   * Requests that do not run through the pipeline (a key refused before it, `/v1/models`, the admin
   * API, health probes): `errors` (the default) logs those answered with 400 and above, `all` every
   * one, `none` none. Their lines have the request id, method, path, status, latency and key.
   */
  otherRoutes?: 'errors' | 'all' | 'none';
}

const defaults = { level: 'info', errorsOnly: false, otherRoutes: 'errors' } satisfies AccessLogOptions;

export const accessLog = definePlugin<AccessLogOptions, typeof defaults>({
  name: 'gateway:access-log',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: { level: { enum: ['debug', 'info'] }, errorsOnly: { type: 'boolean' }, otherRoutes: { enum: ['errors', 'all', 'none'] } },
  },
  defaults,
  setup(host, options) {
    const pricing = () => host.tryResolve(pricingService) ?? defaultPricing();
    const write = options.level === 'debug' ? host.logger.debug : host.logger.info;
    host.events.on('request:end', (ctx) => {
      const line = accessLine(ctx, pricing());
      if (options.errorsOnly && line.status < 400 && line.outcome !== 'client_aborted') return;
      write(`${ctx.http.method} ${ctx.http.path} ${line.status}`, line);
    });
    if (options.otherRoutes === 'none') return;

    return {
      gate: outsidePipeline(host, (http, aborted) => {
        const status = http.res.statusCode;
        if (options.otherRoutes === 'errors' && status < 400 && !aborted) return;
        if (options.errorsOnly && status < 400 && !aborted) return;
        write(`${http.method} ${http.path} ${status}`, routeLine(http, status, aborted, host.frontEndAt(http.path)));
      }),
    };
  },
});

/**
 * The line for a request served outside the pipeline (a route, or a refusal before the pipeline);
 * `frontEnd` is the API of a refusal's path, as the full line names it (null on a route's).
 */
function routeLine(http: KoaContext, status: number, aborted: boolean, frontEnd: string | undefined): Record<string, unknown> {
  return {
    requestId: http.requestId,
    method: http.method,
    path: http.path,
    frontEnd: frontEnd ?? null,
    key: authenticatedKey(http)?.name ?? null,
    status,
    outcome: aborted ? 'client_aborted' : status >= 400 ? 'error' : 'ok',
    latencyMs: Math.round(performance.now() - http.startedAt),
  };
}

export interface AccessLine extends Record<string, unknown> {
  requestId: string;
  method: string;
  path: string;
  frontEnd: string;
  key: string | null;
  team: string | null;
  requestedModel: string;
  provider: string | null;
  model: string | null;
  status: number;
  outcome: string;
  stream: boolean;
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
  reasoningTokens: number;
  tokensEstimated: boolean;
  costUsd: number | null;
  latencyMs: number;
  ttftMs: number | null;
  attempts: number;
  fallback: boolean;
  cache: string | null;
  errorCode: string | null;
}

/** The line for a finished request, from its context (what the usage log records, without bodies or metadata). */
export function accessLine(ctx: GatewayContext, pricing: ReturnType<typeof defaultPricing>): AccessLine {
  const served = ctx.servedBy ?? ctx.attempts.at(-1)?.target;
  const { usage, estimated } = ctx.servedBy ? usageOf(ctx) : { usage: undefined, estimated: false };
  const micros = ctx.servedBy && usage ? pricing.costMicros(ctx.servedBy, usage) : 0;
  const key = ctx.get(callerKeySlot);
  const first = ctx.route?.targets[0];
  return {
    requestId: ctx.id,
    method: ctx.http.method,
    path: ctx.http.path,
    frontEnd: ctx.endpoint,
    key: key?.name ?? null,
    team: key?.team ?? null,
    requestedModel: ctx.route?.requestedModel ?? ctx.request.model,
    provider: served?.provider ?? ctx.error?.provider ?? null,
    model: served?.model ?? null,
    status: ctx.error?.status ?? ctx.http.res.statusCode,
    outcome: ctx.outcome ?? (ctx.error ? 'error' : 'ok'),
    stream: ctx.request.stream === true,
    promptTokens: usage?.prompt_tokens ?? 0,
    completionTokens: usage?.completion_tokens ?? 0,
    cachedTokens: usage?.prompt_tokens_details?.cached_tokens ?? 0,
    reasoningTokens: usage?.completion_tokens_details?.reasoning_tokens ?? 0,
    tokensEstimated: estimated,
    costUsd: micros === undefined ? null : micros / 1e6,
    latencyMs: Math.round(ctx.timings.totalMs ?? ctx.elapsed()),
    ttftMs: ctx.timings.firstByteMs === undefined ? null : Math.round(ctx.timings.firstByteMs),
    attempts: ctx.attempts.length,
    fallback: Boolean(ctx.servedBy && first && (ctx.servedBy.provider !== first.provider || ctx.servedBy.model !== first.model)),
    cache: ctx.get(cacheOutcome) ?? null,
    errorCode: ctx.error ? (ctx.error.code ?? ctx.error.type) : null,
  };
}
