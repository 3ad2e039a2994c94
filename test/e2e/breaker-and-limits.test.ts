/**
 * The circuit breaker and the rate limiter together, in the order docs/routing.md gives
 * (retry outermost, then circuitBreaker, then rateLimits), and what providers' rate-limit headers teach.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { circuitBreaker, rateLimits, retry } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { completion, mockProvider, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

const chats = (m: MockUpstream) => m.requests.filter((r) => r.path === '/v1/chat/completions').length;
const post = (gw: RunningGateway, body: Record<string, unknown>) =>
  fetch(`${gw.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const ask = { model: 'p/m', messages: [{ role: 'user', content: 'hi' }] };

describe('circuit breaker with rate limits inside it', () => {
  let up: MockUpstream | undefined;
  let gw: RunningGateway | undefined;
  afterEach(async () => {
    await gw?.close();
    await up?.close();
  });

  // docs/routing.md ("Circuit breaker"): half-open lets probes through, and the circuit is "closed
  // again when a probe succeeds, open again when it fails". plugins/circuit-breaker/index.ts treats
  // every failure outside `countOn` as a success (`else await circuit.succeeded(); // a client error
  // proves the deployment answers`) — including the gateway's OWN refusal from gateway:rate-limits
  // (429 `deployment_rate_limited`), which never reached the deployment. In the documented order
  // (rateLimits inside circuitBreaker, as bench/soak.ts runs it), a half-open probe refused by the
  // rate limiter closes the circuit: the deployment is declared healthy without any request
  // having been sent to it, and the next `failureThreshold` requests go to it again.
  it("a probe refused by the gateway's own rate limiter does not close the circuit", async () => {
    up = await startMockUpstream();
    gw = await startGateway({
      providers: { p: mockProvider(up) },
      plugins: [retry({ attempts: 1 }), circuitBreaker({ failureThreshold: 1, cooldownMs: 300 }), rateLimits({ limits: { 'p/m': { rpm: 1 } } })],
    });
    const changes: string[] = [];
    gw.gateway.events.on('circuit:change', (_deployment, from, to) => void changes.push(`${from}->${to}`));
    up.enqueue({ status: 500, body: { error: { message: 'down' } } });
    const failed = await post(gw, ask);
    await failed.text();
    expect(failed.status).toBe(500); // the circuit opens (and the one request a minute is used)
    await new Promise((r) => setTimeout(r, 400)); // cooldown over: half-open
    const probe = await post(gw, ask);
    const body = (await probe.json()) as { error: { code: string } };
    expect(probe.status).toBe(429);
    expect(body.error.code).toBe('deployment_rate_limited');
    expect(chats(up)).toBe(1); // the probe never reached the deployment
    const health = (await (await fetch(`${gw.url}/v1/providers/p/health`)).json()) as { breaker: Array<{ deployment: string; state: string }> };
    // Before its fix: 'closed', and changes end with 'half_open->closed'.
    expect(changes).not.toContain('half_open->closed');
    expect(health.breaker.find((b) => b.deployment === 'p/m')?.state).not.toBe('closed');
  });
});

describe('learning from provider headers', () => {
  let up: MockUpstream | undefined;
  let gw: RunningGateway | undefined;
  afterEach(async () => {
    await gw?.close();
    await up?.close();
  });

  // docs/routing.md ("Rate limits"): Anthropic's `anthropic-ratelimit-requests-remaining` with
  // `-reset` "mark the deployment exhausted until then". plugins/rate-limits/provider-headers.ts
  // turns a reset time that is already past into "no usable reset time: assume a minute"
  // (`wait >= 0 ? wait : 60_000`). Anthropic's reset is an RFC 3339 time with second precision;
  // with the answer's own latency (or a second of clock skew) it is often already past when read.
  // The window has then already reset, yet the deployment is refused for a whole minute
  // (429 deployment_rate_limited, Retry-After: 60) without being asked.
  it('a reset time that has already passed does not block the deployment for a minute', async () => {
    up = await startMockUpstream();
    gw = await startGateway({ providers: { p: mockProvider(up) }, plugins: [retry({ attempts: 1 }), rateLimits()] });
    const past = new Date(Date.now() - 1000).toISOString();
    up.enqueue({ headers: { 'anthropic-ratelimit-requests-remaining': '0', 'anthropic-ratelimit-requests-reset': past }, body: completion() });
    const first = await post(gw, ask);
    await first.text();
    expect(first.status).toBe(200);
    const second = await post(gw, ask);
    const text = await second.text();
    // Before its fix: 429 deployment_rate_limited, Retry-After 60.
    expect(second.status, text).toBe(200);
    expect(chats(up)).toBe(2);
  });
});

describe('circuit breaker and a slow success from before it opened', () => {
  let up: MockUpstream | undefined;
  let gw: RunningGateway | undefined;
  afterEach(async () => {
    await gw?.close();
    await up?.close();
  });

  // docs/routing.md ("Circuit breaker"): open after `failureThreshold` failures, "half-open after
  // `cooldownMs` (up to `halfOpenProbes` requests let through ...), closed again when a probe
  // succeeds". plugins/circuit-breaker/circuit.ts `succeeded()` closes any tripped circuit, so a
  // slow request admitted while the circuit was still closed, which ends well after the circuit
  // opened, clears `tripped` (announcing `half_open -> closed` while the circuit is open): when the
  // cooldown ends the circuit is simply closed and every request flows to the deployment, with no
  // probe ever made.
  it('a request admitted before the circuit opened does not close it when it ends', async () => {
    up = await startMockUpstream();
    gw = await startGateway({ providers: { p: mockProvider(up) }, plugins: [retry({ attempts: 1 }), circuitBreaker({ failureThreshold: 2, cooldownMs: 1000 })] });
    const changes: string[] = [];
    gw.gateway.events.on('circuit:change', (_deployment, from, to) => void changes.push(`${from}->${to}`));
    up.enqueue({ delayMs: 600, body: completion() }, { status: 500, body: { error: { message: 'down' } } }, { status: 500, body: { error: { message: 'down' } } });
    const slow = post(gw, ask);
    await new Promise((r) => setTimeout(r, 100));
    for (let i = 0; i < 2; i++) await (await post(gw, ask)).text();
    expect(changes).toEqual(['closed->open']);
    expect((await slow).status).toBe(200);
    await new Promise((r) => setTimeout(r, 700)); // the cooldown is over: the next request should be a probe
    const health = (await (await fetch(`${gw.url}/v1/providers/p/health`)).json()) as { breaker: Array<{ deployment: string; state: string }> };
    // Before its fix: 'closed' (no probe), and changes are ['closed->open', 'half_open->closed'] though it never was half-open.
    expect(health.breaker.find((b) => b.deployment === 'p/m')?.state).toBe('half_open');
    expect(changes).toEqual(['closed->open']);
  });
});
