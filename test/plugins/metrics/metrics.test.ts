/**
 * gateway:metrics on the gateway's own port: who may read it (public, the admin key through
 * gateway:auth, a bearer token), key and team labels with their cap, and the gauges read from
 * other plugins (circuit states, rate-limit headroom, the usage log's queue).
 */
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { auth, circuitBreaker, definePlugin, metrics, metricsEndpoint, rateLimits, retry, usageLogger, usageLogService } from '../../../index.js';
import { startGateway, type RunningGateway } from '../../support/gateway.js';
import { mockProvider, startMockUpstream, type MockUpstream } from '../../support/mock-upstream.js';

const ADMIN = 'admin-key-for-metrics-tests';
const TOKEN = 'metrics-bearer-token-0123';

let upstream: MockUpstream;
const running: RunningGateway[] = [];
beforeAll(async () => {
  upstream = await startMockUpstream();
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((g) => g.close()));
  upstream.reset();
});
afterAll(() => upstream?.close());

const start = async (...args: Parameters<typeof startGateway>) => {
  const gw = await startGateway(...args);
  running.push(gw);
  return gw;
};

/** The value of one series in Prometheus text, by metric name and exact labels. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const got = Object.fromEntries([...(match[2] ?? '').matchAll(/([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => got[k] === v) && Object.keys(got).length === Object.keys(labels).length) return Number(match[3]);
  }
  return undefined;
}

const chat = (baseURL: string, model: string, apiKey = 'unused') => new OpenAI({ baseURL, apiKey, maxRetries: 0 }).chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] });

describe('GET /metrics on the gateway\'s port', () => {
  it('is public by default, in Prometheus text format', async () => {
    const gw = await start({ providers: { mock: mockProvider(upstream) }, plugins: [metrics()] });
    await chat(gw.baseURL, 'mock/mock-small');
    const res = await fetch(`${gw.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    expect(sample(text, 'llm_gateway_requests_total', { front_end: 'chat.completions', provider: 'mock', model: 'mock-small', status_class: '2xx', outcome: 'ok' })).toBe(1);
    expect(text).toContain('# TYPE gen_ai_client_token_usage histogram');
  });

  it('asks for the admin key with access: admin and gateway:auth, and for the token when one is set', async () => {
    const gw = await start({ providers: { mock: mockProvider(upstream) }, plugins: [auth({ adminKey: ADMIN }), metrics({ access: 'admin', path: '/internal/metrics' })] });
    expect((await fetch(`${gw.url}/internal/metrics`)).status).toBe(401);
    expect((await fetch(`${gw.url}/internal/metrics`, { headers: { authorization: `Bearer ${ADMIN}` } })).status).toBe(200);
    expect((await fetch(`${gw.url}/metrics`)).status).toBe(404);

    const tokened = await start({ providers: { mock: mockProvider(upstream) }, plugins: [metrics({ bearerToken: TOKEN })] });
    const refused = await fetch(`${tokened.url}/metrics`, { headers: { authorization: 'Bearer wrong-token-0123456789' } });
    expect(refused.status).toBe(401);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('invalid_metrics_token');
    expect((await fetch(`${tokened.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
  });

  it('labels by key and team only when asked, and caps the values a label keeps', async () => {
    const gw = await start({ providers: { mock: mockProvider(upstream) }, plugins: [auth({ adminKey: ADMIN }), metrics({ labels: { key: true, team: true }, maxLabelValues: 2 })] });
    const secrets: string[] = [];
    for (const name of ['alpha', 'beta', 'gamma']) {
      const res = await fetch(`${gw.url}/admin/keys`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ name, team: 'red' }) });
      secrets.push(((await res.json()) as { secret: string }).secret);
    }
    for (const secret of secrets) await chat(gw.baseURL, 'mock/mock-small', secret);
    // A client naming models freely cannot grow the series without end: past the cap, `other`.
    for (const model of ['m1', 'm2', 'm3', 'm4']) await chat(gw.baseURL, `mock/${model}`, secrets[0]);
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    const base = { front_end: 'chat.completions', provider: 'mock', status_class: '2xx', outcome: 'ok', team: 'red' };
    expect(sample(text, 'llm_gateway_requests_total', { ...base, model: 'mock-small', key: 'alpha' })).toBe(1);
    expect(sample(text, 'llm_gateway_requests_total', { ...base, model: 'mock-small', key: 'beta' })).toBe(1);
    expect(sample(text, 'llm_gateway_requests_total', { ...base, model: 'mock-small', key: 'other' })).toBe(1);
    expect(sample(text, 'llm_gateway_requests_total', { ...base, model: 'm1', key: 'alpha' })).toBe(1);
    expect(sample(text, 'llm_gateway_requests_total', { ...base, model: 'other', key: 'alpha' })).toBe(3);
    expect(text).not.toContain('gamma');
    for (const secret of secrets) expect(text).not.toContain(secret);
  });
});

describe('a port of its own', () => {
  it('serves only the metrics there, and passes the port to the gateway that replaces this one (a config reload)', async () => {
    const first = await start({ providers: { mock: mockProvider(upstream) }, plugins: [metrics({ port: 0, bearerToken: TOKEN })] });
    const url = first.gateway.tryResolve(metricsEndpoint)!.url!;
    const port = Number(new URL(url).port);
    await first.close();
    const old = await start({ providers: { mock: mockProvider(upstream) }, plugins: [metrics({ port, bearerToken: TOKEN, prefix: 'old_' })] });
    const read = async () => (await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    expect(await read()).toContain('old_llm_gateway_requests_total');
    expect((await fetch(`http://127.0.0.1:${port}/metrics`)).status).toBe(401);
    expect((await fetch(`http://127.0.0.1:${port}/v1/models`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
    expect((await fetch(`${old.url}/metrics`)).status).toBe(404);
    // The new gateway is built while the old one still runs, then the old one closes.
    const next = await start({ providers: { mock: mockProvider(upstream) }, plugins: [metrics({ port, bearerToken: TOKEN, prefix: 'new_' })] });
    expect(await read()).toContain('new_llm_gateway_requests_total');
    await old.close();
    expect(await read()).toContain('new_llm_gateway_requests_total');
    await next.close();
    await expect(fetch(`http://127.0.0.1:${port}/metrics`)).rejects.toThrow();
  });
});

describe('gauges from other plugins', () => {
  it('shows circuit states, rate-limit headroom and the usage log\'s queue', async () => {
    const gw = await start({
      usageLog: 'sqlite::memory:',
      providers: { mock: mockProvider(upstream) },
      plugins: [retry({ attempts: 1 }), circuitBreaker({ failureThreshold: 1 }), rateLimits({ limits: { 'mock/mock-small': { rpm: 1 } } }), usageLogger(), metrics()],
    });
    upstream.enqueue({ status: 500, body: { error: { message: 'boom' } } });
    await expect(chat(gw.baseURL, 'mock/mock-large')).rejects.toThrow();
    await chat(gw.baseURL, 'mock/mock-small');
    await gw.gateway.tryResolve(usageLogService)!.flush();
    const text = await (await fetch(`${gw.url}/metrics`)).text();
    expect(sample(text, 'llm_gateway_circuit_state', { provider: 'mock', model: 'mock-large', state: 'open' })).toBe(1);
    expect(sample(text, 'llm_gateway_circuit_state', { provider: 'mock', model: 'mock-large', state: 'closed' })).toBe(0);
    expect(sample(text, 'llm_gateway_circuit_state', { provider: 'mock', model: 'mock-small', state: 'closed' })).toBe(1);
    expect(sample(text, 'llm_gateway_circuit_transitions_total', { provider: 'mock', model: 'mock-large', state: 'open' })).toBe(1);
    expect(sample(text, 'llm_gateway_rate_limit_headroom', { provider: 'mock', model: 'mock-small' })).toBe(0);
    expect(sample(text, 'llm_gateway_rate_limit_headroom', { provider: 'mock', model: 'mock-large' })).toBe(1);
    expect(sample(text, 'llm_gateway_usage_log_queued')).toBe(0);
    expect(sample(text, 'llm_gateway_usage_log_written_total')).toBe(2);
    expect(sample(text, 'llm_gateway_usage_log_dropped_total')).toBe(0);
  });

  it('counts requests and streams in flight while they are', async () => {
    let release: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const hold = definePlugin({ name: 'test:hold', setup: () => ({ middleware: async (_ctx, next) => { await held; await next(); } }) });
    const gw = await start({ providers: { mock: mockProvider(upstream) }, plugins: [metrics(), hold()] });
    const pending = chat(gw.baseURL, 'mock/mock-small');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(sample(await (await fetch(`${gw.url}/metrics`)).text(), 'llm_gateway_in_flight_requests', { front_end: 'chat.completions' })).toBe(1);
    release();
    await pending;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(sample(await (await fetch(`${gw.url}/metrics`)).text(), 'llm_gateway_in_flight_requests', { front_end: 'chat.completions' })).toBe(0);
  });
});
