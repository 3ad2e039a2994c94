/**
 * gateway:circuit-breaker with gateway:retry, through real sockets: a failing first target is
 * skipped while its circuit is open, probed after the cooldown, and back in use once it answers.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { circuitBreaker, retry, routing } from '../../../index.js';
import { startGateway, type RunningGateway } from '../../support/gateway.js';
import { mockProvider, startMockUpstream, type MockUpstream, type Scenario } from '../../support/mock-upstream.js';

let primary: MockUpstream;
let secondary: MockUpstream;
let gw: RunningGateway;
let transitions: string[];
const chats = (m: MockUpstream) => m.requests.filter((r) => r.path === '/v1/chat/completions').length;
const serverError: Scenario = { status: 500, body: { error: { message: 'boom' } } };

// Each test gets its own gateway and upstreams (no circuit left open by another test), on a clock
// the test moves: the cooldown passes without waiting for it. Failures are counted in a sliding
// window of two buckets (sdk/store/sliding-window.ts), which weighs the previous bucket by how much
// of it is still in the window: two failures a moment apart on either side of a bucket's start
// count as 1.99, below a threshold of 2. Each test starts at the start of a bucket, so that its
// failures, milliseconds apart, share one (as they did but when a run happened to straddle one).
const WINDOW_MS = 10_000;
beforeEach(async () => {
  vi.useFakeTimers({ toFake: ['Date', 'performance'], shouldAdvanceTime: true });
  vi.setSystemTime(Math.ceil(Date.now() / WINDOW_MS) * WINDOW_MS + 1);
  transitions = [];
  primary = await startMockUpstream();
  secondary = await startMockUpstream();
  gw = await startGateway({
    providers: { primary: mockProvider(primary), secondary: mockProvider(secondary) },
    models: { stack: { targets: ['primary/mock-small', 'secondary/mock-small'] } },
    // routing() comes before the breaker in the list and still sees its states.
    plugins: [routing(), retry({ attempts: 1 }), circuitBreaker({ failureThreshold: 2, windowMs: WINDOW_MS, cooldownMs: 400 })],
  });
  gw.gateway.events.on('circuit:change', (deployment, from, to) => void transitions.push(`${deployment} ${from}→${to}`));
});
afterEach(async () => {
  await gw?.close();
  await primary?.close();
  await secondary?.close();
  vi.useRealTimers();
});
const passCooldown = () => vi.advanceTimersByTime(450);

const ask = async () => {
  const res = await fetch(`${gw.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'stack', messages: [{ role: 'user', content: 'hi' }] }) });
  return { status: res.status, provider: res.headers.get('x-gateway-provider'), fallback: res.headers.get('x-gateway-fallback') };
};

describe('circuit breaker', () => {
  it('opens on repeated failures, skips the deployment, probes after the cooldown, and closes', async () => {
    primary.enqueue(serverError, serverError);
    expect(await ask()).toEqual({ status: 200, provider: 'secondary', fallback: 'true' });
    expect(await ask()).toEqual({ status: 200, provider: 'secondary', fallback: 'true' });
    expect(transitions).toEqual(['primary/mock-small closed→open']);

    // Open: routing puts the primary last, so the secondary is the route's first target.
    expect(await ask()).toEqual({ status: 200, provider: 'secondary', fallback: 'false' });
    expect(chats(primary)).toBe(2);

    // The provider endpoints say why.
    const health = (await (await fetch(`${gw.url}/v1/providers/primary/health`)).json()) as Record<string, unknown>;
    expect(health).toMatchObject({
      id: 'primary',
      type: 'openai-compatible',
      breaker: [{ deployment: 'primary/mock-small', state: 'open', recentFailures: 2, retryInMs: expect.any(Number) }],
      deployments: [{ deployment: 'primary/mock-small', requests: 2, failures: 2, lastError: 'primary: boom' }],
    });
    const all = (await (await fetch(`${gw.url}/v1/providers`)).json()) as { data: Array<{ id: string }> };
    expect(all.data.map((p) => p.id)).toEqual(['primary', 'secondary']);
    expect((await fetch(`${gw.url}/v1/providers/nope/health`)).status).toBe(404);

    // After the cooldown one probe goes through; it succeeds and the circuit closes.
    passCooldown();
    expect(await ask()).toMatchObject({ status: 200, provider: 'primary' });
    expect(transitions).toEqual(['primary/mock-small closed→open', 'primary/mock-small open→half_open', 'primary/mock-small half_open→closed']);
    expect(await ask()).toMatchObject({ status: 200, provider: 'primary' });
  });

  it('an open circuit on a lone target answers 503 circuit_open with Retry-After', async () => {
    primary.enqueue(serverError, serverError);
    const direct = () => fetch(`${gw.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'primary/mock-small', messages: [{ role: 'user', content: 'x' }] }) });
    expect((await direct()).status).toBe(500);
    expect((await direct()).status).toBe(500);
    const refused = await direct();
    expect(refused.status).toBe(503);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('circuit_open');
    expect(chats(primary)).toBe(2);
  });

  it('does not count client errors against a deployment', async () => {
    const bad: Scenario = { status: 400, body: { error: { message: 'bad' } } };
    primary.enqueue(bad, bad, bad);
    for (let i = 0; i < 3; i++) expect((await ask()).status).toBe(400);
    expect(await ask()).toMatchObject({ status: 200, provider: 'primary' });
  });
});
