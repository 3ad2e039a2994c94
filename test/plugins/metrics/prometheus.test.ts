/**
 * gateway:metrics scraped by a real Prometheus server (Debian's `prometheus` package): after
 * requests with the official OpenAI client (whole, streamed, one that falls back, a cache hit), the
 * series Prometheus stored through its HTTP API say what happened, by provider and model.
 */
import { readFileSync } from 'node:fs';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheOutcome, cost, definePlugin, metrics, metricsEndpoint, retry, type ChatCompletion } from '../../../index.js';
import { startGateway, type RunningGateway } from '../../support/gateway.js';
import { mockProvider, startMockUpstream, type MockUpstream } from '../../support/mock-upstream.js';
import { prometheusAvailable, startPrometheus, type RunningPrometheus } from '../../support/prometheus.js';

const TOKEN = 'scrape-token-0123456789';

/** A stand-in for the cache plugin: answers a question it has seen from memory, and says so in the cache's slot. */
const memoryCache = definePlugin({
  name: 'test:memory-cache',
  setup() {
    const answers = new Map<string, ChatCompletion>();
    return {
      async middleware(ctx, next) {
        const key = JSON.stringify(ctx.request.messages);
        const cached = ctx.request.stream ? undefined : answers.get(key);
        if (cached) {
          ctx.set(cacheOutcome, 'hit');
          ctx.response = { kind: 'json', status: 200, body: cached };
          return;
        }
        ctx.set(cacheOutcome, ctx.request.stream ? 'skip' : 'miss');
        await next();
        if (ctx.response?.kind === 'json') answers.set(key, ctx.response.body);
      },
    };
  },
});

describe.skipIf(!prometheusAvailable())('Prometheus scrapes gateway:metrics', () => {
  let primary: MockUpstream;
  let secondary: MockUpstream;
  let gw: RunningGateway;
  let prometheus: RunningPrometheus;

  beforeAll(async () => {
    primary = await startMockUpstream();
    secondary = await startMockUpstream();
    gw = await startGateway({
      providers: { primary: mockProvider(primary), secondary: mockProvider(secondary) },
      models: { stack: { targets: ['primary/mock-small', 'secondary/mock-large'] } },
      plugins: [
        memoryCache(),
        retry({ attempts: 1 }),
        cost({ prices: { 'primary/mock-small': { input: 1, output: 2 }, 'secondary/mock-large': { input: 3, output: 6 } } }),
        metrics({ port: 0, bearerToken: TOKEN }),
      ],
    });
    const endpoint = gw.gateway.tryResolve(metricsEndpoint);
    const target = new URL(endpoint!.url!);
    prometheus = await startPrometheus([{ job: 'gateway', target: target.host, path: target.pathname, bearerToken: TOKEN }]);

    const client = new OpenAI({ baseURL: gw.baseURL, apiKey: 'unused', maxRetries: 0 });
    const ask = (content: string) => client.chat.completions.create({ model: 'primary/mock-small', messages: [{ role: 'user', content }] });
    await ask('one');
    await ask('two');
    await ask('one'); // answered by the cache
    const stream = await client.chat.completions.create({ model: 'primary/mock-small', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'a stream of words' }] });
    for await (const _chunk of stream) void _chunk;
    primary.enqueue({ status: 500, body: { error: { message: 'primary is down' } } });
    const fellBack = await client.chat.completions.create({ model: 'stack', messages: [{ role: 'user', content: 'fall back' }] }).withResponse();
    expect(fellBack.response.headers.get('x-gateway-provider')).toBe('secondary');
    await expect(ask('')).resolves.toBeDefined();
  }, 60_000);

  afterAll(async () => {
    await prometheus?.stop();
    await gw?.close();
    await primary?.close();
    await secondary?.close();
  });

  const byLabels = (result: Array<{ metric: Record<string, string>; value: number }>, ...names: string[]) =>
    Object.fromEntries(result.map((r) => [names.map((n) => r.metric[n]).join(' '), r.value]));

  it('scrapes with the bearer token', async () => {
    const up = await prometheus.waitFor('up{job="gateway"}', (r) => r[0]?.value === 1);
    expect(up).toHaveLength(1);
  });

  it('counts requests by provider, model, status class and outcome', async () => {
    const result = await prometheus.waitFor('sum by (provider, model, status_class, outcome) (llm_gateway_requests_total)', (r) => r.length >= 2);
    expect(byLabels(result, 'provider', 'model', 'status_class', 'outcome')).toEqual({
      // one, two, one (cache hit: nothing went upstream), the stream, the empty question
      'none none 2xx ok': 1,
      'primary mock-small 2xx ok': 4,
      'secondary mock-large 2xx ok': 1,
    });
  });

  it('counts the fallback and the failed upstream try', async () => {
    expect(byLabels(await prometheus.waitFor('llm_gateway_fallbacks_total', (r) => r.length > 0), 'provider', 'model')).toEqual({ 'secondary mock-large': 1 });
    const tries = await prometheus.waitFor('sum by (gen_ai_provider_name, error_type) (gen_ai_client_operation_duration_seconds_count)', (r) => r.length >= 3);
    expect(byLabels(tries, 'gen_ai_provider_name', 'error_type')).toEqual({ 'primary ': 4, 'primary server': 1, 'secondary ': 1 });
  });

  it('has durations, time to first token for the stream, and the gateway overhead', async () => {
    const durations = await prometheus.waitFor('sum by (front_end) (gen_ai_server_request_duration_seconds_count)', (r) => r.length > 0);
    expect(byLabels(durations, 'front_end')).toEqual({ 'chat.completions': 6 });
    const ttft = await prometheus.waitFor('gen_ai_server_time_to_first_token_seconds_count', (r) => r.length > 0);
    expect(byLabels(ttft, 'gen_ai_provider_name', 'gen_ai_request_model')).toEqual({ 'primary mock-small': 1 });
    const overhead = await prometheus.waitFor('llm_gateway_overhead_seconds_count', (r) => r.length > 0);
    expect(overhead[0]!.value).toBe(5);
    const sum = await prometheus.query('llm_gateway_overhead_seconds_sum');
    expect(sum[0]!.value).toBeGreaterThan(0);
    expect(sum[0]!.value).toBeLessThan(5);
  });

  it('has tokens by type and cost by provider and model', async () => {
    const tokens = await prometheus.waitFor('sum by (gen_ai_provider_name, gen_ai_token_type) (gen_ai_client_token_usage_sum)', (r) => r.length >= 4);
    const values = byLabels(tokens, 'gen_ai_provider_name', 'gen_ai_token_type');
    expect(values['primary input']).toBeGreaterThan(0);
    expect(values['primary output']).toBeGreaterThan(0);
    expect(values['secondary input']).toBeGreaterThan(0);
    const counted = byLabels(await prometheus.query('sum by (provider, type) (llm_gateway_tokens_total)'), 'provider', 'type');
    expect(counted['primary input']).toBe(values['primary input']);
    const costs = byLabels(await prometheus.waitFor('llm_gateway_cost_usd_total', (r) => r.length >= 2), 'provider', 'model');
    const secondaryTokens = byLabels(await prometheus.query('sum by (type) (llm_gateway_tokens_total{provider="secondary"})'), 'type');
    expect(costs['secondary mock-large']).toBeCloseTo(((secondaryTokens.input ?? 0) * 3 + (secondaryTokens.output ?? 0) * 6) / 1e6, 12);
    expect(costs['primary mock-small']).toBeGreaterThan(0);
  });

  it('counts cache hits and misses', async () => {
    const cache = await prometheus.waitFor('llm_gateway_cache_requests_total', (r) => r.length >= 3);
    expect(byLabels(cache, 'outcome')).toEqual({ hit: 1, miss: 4, skip: 1 });
  });

  it('answers every query of the example Grafana dashboard', async () => {
    const dashboard = JSON.parse(readFileSync(new URL('../../../examples/grafana-dashboard.json', import.meta.url), 'utf8')) as { panels: Array<{ title: string; targets?: Array<{ expr: string }> }> };
    const queries = dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => ({ panel: panel.title, expr: target.expr.replaceAll('$__rate_interval', '1m').replaceAll('$instance', '.*') })));
    expect(queries.length).toBeGreaterThan(20);
    // rate() needs two scrapes of a series in its window; the fallback's series is among the last to appear.
    await prometheus.waitFor('rate(llm_gateway_fallbacks_total[1m])', (r) => r.length > 0);
    const withData = new Set<string>();
    for (const { panel, expr } of queries) {
      // A query Prometheus cannot parse throws here, naming it.
      if ((await prometheus.query(expr)).length > 0) withData.add(panel);
    }
    const empty = queries.map((q) => q.panel).filter((panel) => !withData.has(panel));
    // Panels about plugins this gateway lacks (breaker, limits, usage log) may be empty; these may not.
    const shown = ['Requests / s', 'Requests by provider and status', 'Requests by model', 'Request duration by model', 'Time to first token (streams)', 'Gateway overhead', 'Tokens / s by type', 'Cost (USD / hour) by model', 'Retries and fallbacks', 'Cache hit ratio', 'Memory (RSS)'];
    expect(shown.filter((panel) => empty.includes(panel))).toEqual([]);
  });

  it('has nothing in flight once the requests are over, and Node\'s process metrics', async () => {
    const inFlight = await prometheus.waitFor('llm_gateway_in_flight_requests', (r) => r.length > 0);
    expect(inFlight.map((r) => r.value)).toEqual([0]);
    expect((await prometheus.query('llm_gateway_in_flight_streams'))[0]?.value).toBe(0);
    expect((await prometheus.query('process_resident_memory_bytes'))[0]?.value).toBeGreaterThan(0);
    expect((await prometheus.query('nodejs_eventloop_lag_seconds')).length).toBe(1);
  });
});
