/**
 * `npx tsx bench/observability-cost.ts`: the CPU time gateway:metrics and gateway:tracing add per
 * request, measured in one process without HTTP, so it holds on a busy machine where the
 * throughput benchmark (bench/observability.ts) is noisy. A request's events are replayed against
 * the plugins' observers (and the tracing upstream hook, its spans exported over OTLP/HTTP to a
 * collector in another process), and the CPU time per request is compared with the same replay
 * with no plugin listening. COST_REQUESTS (default 20000); OTEL_TRACES_SAMPLER and
 * OTEL_TRACES_SAMPLER_ARG apply.
 */
import { join } from 'node:path';
import type { Context as KoaContext } from 'koa';
import { GatewayContext } from '../core/context.js';
import { createEventBus, type EventBus } from '../core/events.js';
import { silentLogger } from '../core/logger.js';
import type { PluginHooks, PluginHost, UpstreamHandler } from '../core/plugin.js';
import type { ChatCompletion } from '../core/protocol/openai.js';
import { startMetrics } from '../plugins/metrics/start-metrics.js';
import { startTracing } from '../plugins/tracing/start-tracing.js';
import { installCleanup, killAll, startNode } from './processes.js';

installCleanup();

const N = Number(process.env.COST_REQUESTS ?? 20_000);
// The replay makes spans far faster than any gateway: a queue that holds them all, so every span's
// export is counted rather than dropped.
process.env.OTEL_BSP_MAX_QUEUE_SIZE ??= String(4 * (N + 2000));
process.env.OTEL_BSP_MAX_EXPORT_BATCH_SIZE ??= '2048';
const target = { provider: 'mock', model: 'mock-small' };
const body: ChatCompletion = {
  id: 'chatcmpl-1',
  object: 'chat.completion',
  created: 0,
  model: 'mock-small',
  choices: [{ index: 0, message: { role: 'assistant', content: 'echo: hi' }, finish_reason: 'stop' }],
  usage: { prompt_tokens: 12, completion_tokens: 3, total_tokens: 15 },
};

function hostWith(events: EventBus): PluginHost {
  return {
    events,
    logger: silentLogger,
    config: { server: { host: '127.0.0.1' } },
    tryResolve: () => undefined,
    provider: () => ({ id: 'mock', type: 'openai-compatible' }),
    route: () => undefined,
    provide: () => undefined,
  } as unknown as PluginHost;
}

/** One request's life as the kernel tells it: start, one try through the upstream hooks, answer, end. */
async function replay(events: EventBus, upstream: UpstreamHandler, i: number): Promise<void> {
  const http = { method: 'POST', path: '/v1/chat/completions', headers: {}, res: { statusCode: 200 } } as unknown as KoaContext;
  const ctx = new GatewayContext({ endpoint: 'chat.completions', operation: 'chat', id: `r${i}`, http, request: { model: 'mock/mock-small', messages: [{ role: 'user', content: 'hi' }] }, startedAt: performance.now() });
  ctx.route = { requestedModel: 'mock/mock-small', targets: [target], reason: 'direct' };
  events.emit('request:start', ctx);
  await upstream({ ctx, target });
  ctx.timings.firstByteMs = ctx.elapsed();
  events.emit('response', ctx);
  ctx.outcome = 'ok';
  ctx.timings.totalMs = ctx.elapsed();
  events.emit('usage', ctx, ctx.usage!);
  events.emit('request:end', ctx);
}

function providerCall(events: EventBus): UpstreamHandler {
  return async ({ ctx }) => {
    const attempt = { index: ctx.attempts.length, target, startedAt: ctx.elapsed(), outcome: 'pending' as const };
    ctx.attempts.push(attempt);
    events.emit('attempt:start', ctx, attempt);
    Object.assign(attempt, { headersAt: ctx.elapsed(), endedAt: ctx.elapsed(), outcome: 'ok', status: 200 });
    ctx.servedBy = target;
    ctx.usage = body.usage;
    events.emit('attempt:end', ctx, attempt);
    return { kind: 'json', status: 200, headers: {}, body };
  };
}

async function measure(name: string, setup: (host: PluginHost) => Promise<PluginHooks[]>): Promise<number> {
  const events = createEventBus(silentLogger);
  const hooks = await setup(hostWith(events));
  let upstream = providerCall(events);
  for (const h of [...hooks].reverse()) if (h.upstream) upstream = h.upstream(upstream);
  for (let i = 0; i < 2000; i++) await replay(events, upstream, i); // warm-up
  const before = process.cpuUsage();
  for (let i = 0; i < N; i++) await replay(events, upstream, i);
  // Let the batch exporter ship what it holds; its work is part of the cost.
  for (const h of hooks) await h.close?.();
  const used = process.cpuUsage(before);
  const us = (used.user + used.system) / N;
  process.stdout.write(`${name.padEnd(20)} ${us.toFixed(1)} µs CPU per request\n`);
  return us;
}

// The collector runs in its own process: its parsing is not the gateway's cost.
const sink = await startNode({ name: 'OTLP collector', cwd: join(import.meta.dirname, '..'), args: ['--import', 'tsx', 'bench/otlp-sink.ts'], ready: /"port":(\d+)/ });
const sinkOrigin = `http://127.0.0.1:${sink.match[1]}`;
const url = `${sinkOrigin}/v1/traces`;
const metricsOptions = { path: '/metrics', access: 'public' as const, labels: {}, maxLabelValues: 200, labelIdleMs: 3_600_000, processMetrics: true, prefix: '', bearerToken: undefined };
const tracingOptions = { url, serviceName: 'cost', captureContent: false, redact: [], maxContentLength: 16384, propagate: true };

const only = process.env.COST_ONLY;
const base = await measure('no plugin', async () => []);
const m = only === 'tracing' ? base : await measure('metrics', async (host) => [await startMetrics(host, metricsOptions)]);
const t = only === 'metrics' ? base : await measure('tracing', async (host) => [startTracing(host, tracingOptions)]);
const both = only ? base : await measure('metrics + tracing', async (host) => [await startMetrics(host, metricsOptions), startTracing(host, tracingOptions)]);
const spans = ((await (await fetch(`${sinkOrigin}/count`)).json()) as { spans: number }).spans;
process.stdout.write(`added: metrics ${(m - base).toFixed(1)} µs, tracing ${(t - base).toFixed(1)} µs, both ${(both - base).toFixed(1)} µs per request (${spans} spans exported)\n`);
killAll();
