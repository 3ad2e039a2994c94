/**
 * Resilience at its edges, through real sockets: a stream that fails before its first chunk
 * counts against its deployment's circuit, a half-open circuit's probe keeps its slot however
 * long it runs, the gateway's own refusals (a full rate-limit scope) send the request to the next
 * target at once, and a tokens-per-minute limit counts streamed answers.
 */
import OpenAI from 'openai';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { circuitBreaker, rateLimits, retry, routing } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { chunk, completion, mockProvider, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

const chats = (m: MockUpstream) => m.requests.filter((r) => r.path === '/v1/chat/completions' || r.path === '/v1/messages').length;
const midStreamError = 'data: {"error":{"message":"overloaded","type":"server_error"}}\n\n';
const post = (gw: RunningGateway, body: Record<string, unknown>) =>
  fetch(`${gw.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

describe('circuit breaker', () => {
  // Failures are counted in a sliding window of two buckets: start each test at a bucket's start
  // (as test/plugins/circuit-breaker does), on a Date the test moves.
  const WINDOW_MS = 10_000;
  let up: MockUpstream;
  let gw: RunningGateway;
  const start = async (failureThreshold: number) => {
    vi.useFakeTimers({ toFake: ['Date', 'performance'], shouldAdvanceTime: true });
    vi.setSystemTime(Math.ceil(Date.now() / WINDOW_MS) * WINDOW_MS + 1);
    up = await startMockUpstream();
    gw = await startGateway({
      providers: { p: mockProvider(up) },
      plugins: [retry({ attempts: 1 }), circuitBreaker({ failureThreshold, windowMs: WINDOW_MS, cooldownMs: 400 })],
    });
  };
  afterEach(async () => {
    await gw?.close();
    await up?.close();
    vi.useRealTimers();
  });

  // docs/reliability.md: a 200 stream that fails before anything meaningful "is a failed try like
  // any other"; docs/routing.md: a circuit opens after `failureThreshold` server failures in the
  // window. A breaker that recorded a success as soon as next() returned the (unprimed) stream,
  // before retry's primeStream saw the failure, never tripped for a deployment whose streams die.
  // Two such failures must open the circuit: the third request is refused at once (503
  // circuit_open) and not sent to the failing deployment.
  it('counts a stream that fails before its first chunk as a failure of the deployment', async () => {
    await start(2);
    for (let i = 0; i < 2; i++) {
      up.enqueue({ stream: { chunks: [chunk({ role: 'assistant', content: '' }), midStreamError], done: false } });
      const res = await post(gw, { model: 'p/m', stream: true, messages: [{ role: 'user', content: 'hi' }] });
      expect(res.status).toBeGreaterThanOrEqual(500);
      await res.text();
    }
    const third = await post(gw, { model: 'p/m', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    await third.text();
    expect(third.status).toBe(503);
    expect(chats(up)).toBe(2);
  });

  // docs/routing.md: half-open lets "up to `halfOpenProbes` requests" through (default 1). A probe
  // slot that expired with `cooldownMs` let a second request through beside a probe still running
  // (a long completion against a 30 s cooldown), to a deployment that had not proven itself.
  // Expected: the second request is refused (503 circuit_open) until the probe has a verdict.
  it('lets no second probe in while the first is still running past the cooldown', async () => {
    await start(1);
    up.enqueue({ status: 500, body: { error: { message: 'boom' } } });
    expect((await post(gw, { model: 'p/m', messages: [{ role: 'user', content: 'x' }] })).status).toBe(500);
    vi.advanceTimersByTime(450); // the cooldown has passed: half-open
    up.enqueue({ delayMs: 1500, body: completion() });
    const probe = post(gw, { model: 'p/m', messages: [{ role: 'user', content: 'x' }] });
    await new Promise((r) => setTimeout(r, 100));
    vi.advanceTimersByTime(600); // the probe has been running longer than a cooldown
    const second = await post(gw, { model: 'p/m', messages: [{ role: 'user', content: 'x' }] });
    expect(second.status).toBe(503);
    expect((await probe).status).toBe(200);
  });
});

describe('rate limits', () => {
  // docs/routing.md ("Rate limits"): a scope at its limit "refuses at once with a retryable 429
  // `deployment_rate_limited` ...; `retry()` then moves to the next target". With retry's default
  // attempts (2), retry used to sleep for the refusal's Retry-After (1 s for a full concurrency
  // slot; up to maxRetryAfterMs, 10 s, for an rpm window) and ask the same full scope again, while
  // the next target had headroom. Expected: the request goes to the next target at once.
  it('moves on to the next target at once when a deployment is at its concurrency limit', async () => {
    const up = await startMockUpstream();
    const spare = await startMockUpstream();
    const gw = await startGateway({
      providers: { p: mockProvider(up), s: mockProvider(spare) },
      models: { stack: { targets: ['p/narrow', 's/m'] } },
      plugins: [routing(), retry(), rateLimits({ limits: { 'p/narrow': { concurrency: 1 } } })],
    });
    try {
      up.enqueue({ delayMs: 2500, body: completion() });
      const first = post(gw, { model: 'stack', messages: [{ role: 'user', content: 'x' }] });
      await new Promise((r) => setTimeout(r, 100));
      const started = performance.now();
      const second = await post(gw, { model: 'stack', messages: [{ role: 'user', content: 'x' }] });
      const took = performance.now() - started;
      expect(second.headers.get('x-gateway-provider')).toBe('s');
      expect(took).toBeLessThan(500);
      await (await first).text();
    } finally {
      await gw.close();
      await up.close();
      await spare.close();
    }
  });

  // docs/routing.md: `tpm` counts "tokens the upstream reported as used (usage.total_tokens)".
  // An OpenAI-format upstream reports a stream's usage only when asked
  // (`stream_options.include_usage`), which the openai client does not set by default: unless
  // rateLimits() asks for it, a streamed request counts 0 tokens, and a tpm/tpd limit is never
  // reached by streaming clients (agents) without gateway:token-counter.
  // Expected: a stream's tokens count like a JSON answer's.
  it('counts the tokens of a streamed answer against tpm', async () => {
    const up = await startMockUpstream();
    const gw = await startGateway({ providers: { p: mockProvider(up) }, plugins: [retry({ attempts: 1 }), rateLimits({ limits: { 'p/m': { tpm: 1000 } } })] });
    const used = async () => {
      const health = (await (await fetch(`${gw.url}/v1/providers/p/health`)).json()) as { limits: Array<{ scope: string; tokensPerMinute?: { used: number } }> };
      return health.limits.find((l) => l.scope === 'p/m')?.tokensPerMinute?.used ?? 0;
    };
    try {
      const client = new OpenAI({ baseURL: gw.baseURL, apiKey: 'k', maxRetries: 0 });
      await client.chat.completions.create({ model: 'p/m', messages: [{ role: 'user', content: 'one two three' }] });
      const afterJson = await used();
      expect(afterJson).toBeGreaterThan(0); // a JSON answer is counted
      const stream = await client.chat.completions.create({ model: 'p/m', stream: true, messages: [{ role: 'user', content: 'one two three' }] });
      for await (const part of stream) void part;
      await new Promise((r) => setTimeout(r, 100));
      expect(await used()).toBeGreaterThan(afterJson);
    } finally {
      await gw.close();
      await up.close();
    }
  });
});
