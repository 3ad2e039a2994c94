/**
 * gateway:rate-limits with routing and retry, through real sockets: a deployment at its limit,
 * configured or told by its provider, is skipped instead of tried.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { rateLimits, retry, routing } from '../../../index.js';
import { startGateway, type RunningGateway } from '../../support/gateway.js';
import { completion, mockProvider, startMockUpstream, type MockUpstream } from '../../support/mock-upstream.js';

let primary: MockUpstream;
let secondary: MockUpstream;
let gw: RunningGateway;
const chats = (m: MockUpstream) => m.requests.filter((r) => r.path === '/v1/chat/completions').length;

beforeAll(async () => {
  // Windows and provider blocks are read on clocks the tests move (Date, and performance for the
  // counters' waits, core/store/steady-now.ts; sockets keep real timers).
  vi.useFakeTimers({ toFake: ['Date', 'performance'], shouldAdvanceTime: true });
  primary = await startMockUpstream();
  secondary = await startMockUpstream();
  gw = await startGateway({
    providers: { primary: mockProvider(primary), secondary: mockProvider(secondary) },
    models: {
      capped: { targets: ['primary/capped', 'secondary/m'] },
      told: { targets: ['primary/told', 'secondary/m'] },
      limited: { targets: ['primary/limited', 'secondary/m'] },
      single: { targets: ['primary/slow'] },
      narrow: { targets: ['primary/narrow', 'secondary/m'] },
      thrifty: { strategy: 'usage-aware', targets: [{ model: 'secondary/paid', tier: 'paid' }, { model: 'primary/free', tier: 'free' }] },
    },
    plugins: [
      routing(),
      retry({ attempts: 1 }),
      rateLimits({ limits: { 'primary/capped': { rpm: 2 }, 'primary/slow': { rpm: 1 }, 'primary/narrow': { concurrency: 1 }, 'primary/free': { rpm: 1 } } }),
    ],
  });
});
afterAll(async () => {
  await gw?.close();
  await primary?.close();
  await secondary?.close();
  vi.useRealTimers();
});
beforeEach(() => {
  primary.reset();
  secondary.reset();
});

async function ask(model: string) {
  const res = await fetch(`${gw.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }) });
  const body = (await res.json()) as { error?: { code: string; message: string } };
  return { status: res.status, provider: res.headers.get('x-gateway-provider'), attempts: res.headers.get('x-gateway-attempts'), retryAfter: res.headers.get('retry-after'), body };
}

describe('rate limits', () => {
  it('a configured rpm moves the third request of the minute to the next target', async () => {
    expect((await ask('capped')).provider).toBe('primary');
    expect((await ask('capped')).provider).toBe('primary');
    expect((await ask('capped')).provider).toBe('secondary');
    expect(chats(primary)).toBe(2);
  });

  it('with no other target, the client gets a 429 with Retry-After', async () => {
    expect((await ask('single')).status).toBe(200);
    const refused = await ask('single');
    expect(refused.status).toBe(429);
    // rpm 1, used in this minute's bucket: that request weighs on the next minute until its end
    // (1 × (1 − e) + 1 ≤ 1 only at e = 1), so the next fits a minute after this one ends.
    const untilNextMinute = Math.ceil((60_000 - (Date.now() % 60_000)) / 1000);
    expect(Math.abs(Number(refused.retryAfter) - (untilNextMinute + 60))).toBeLessThanOrEqual(1);
    expect(refused.body.error).toMatchObject({ code: 'deployment_rate_limited' });
    expect(refused.body.error?.message).toMatch(/primary\/slow: at its rate limit/);
  });

  it("skips a deployment its provider's headers say is exhausted, until the reset", async () => {
    primary.enqueue({ headers: { 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '0.4s' }, body: completion() });
    expect((await ask('told')).provider).toBe('primary');
    expect((await ask('told')).provider).toBe('secondary');
    const health = (await (await fetch(`${gw.url}/v1/providers/primary/health`)).json()) as { limits: Array<{ scope: string; exhaustedForMs?: number }> };
    expect(health.limits.find((l) => l.scope === 'primary/told')?.exhaustedForMs).toBeGreaterThan(0);
    vi.advanceTimersByTime(450);
    expect((await ask('told')).provider).toBe('primary');
  });

  it("skips a deployment after its 429's Retry-After", async () => {
    primary.enqueue({ status: 429, headers: { 'retry-after': '30' }, body: { error: { message: 'quota' } } });
    expect((await ask('limited')).provider).toBe('secondary');
    expect((await ask('limited')).provider).toBe('secondary');
    expect(chats(primary)).toBe(1);
  });

  it('usage-aware routing uses the free tier while it has headroom, then the paid one, without a failed try', async () => {
    expect(await ask('thrifty')).toMatchObject({ provider: 'primary', attempts: '1' });
    expect(await ask('thrifty')).toMatchObject({ provider: 'secondary', attempts: '1' });
    expect(chats(primary)).toBe(1);
  });

  it('a concurrency limit sends a parallel request elsewhere while the first is in flight', async () => {
    primary.enqueue({ delayMs: 300, body: completion() }, { delayMs: 300, body: completion() });
    const [a, b] = await Promise.all([ask('narrow'), new Promise((r) => setTimeout(r, 50)).then(() => ask('narrow'))]);
    expect([a.provider, b.provider]).toEqual(['primary', 'secondary']);
    expect((await ask('narrow')).provider).toBe('primary');
  });
});

describe('scopes together', () => {
  it('a request one scope refuses counts in none: the provider scope gives back what it took', async () => {
    const own = await startMockUpstream();
    const both = await startGateway({
      providers: { two: mockProvider(own) },
      plugins: [retry({ attempts: 1 }), rateLimits({ limits: { two: { rpm: 3 }, 'two/capped': { rpm: 1 } } })],
    });
    try {
      const ask = (model: string) => fetch(`${both.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model, messages: [{ role: 'user', content: 'x' }] }) });
      expect((await ask('two/capped')).status).toBe(200);
      expect((await ask('two/capped')).status).toBe(429);
      const health = (await (await fetch(`${both.url}/v1/providers/two/health`)).json()) as { limits: Array<{ scope: string; requestsPerMinute?: { used: number } }> };
      expect(health.limits.find((l) => l.scope === 'two')?.requestsPerMinute?.used).toBe(1);
      // The provider's rpm of 3 still has room for two more.
      expect((await ask('two/other')).status).toBe(200);
      expect((await ask('two/other')).status).toBe(200);
      expect((await ask('two/other')).status).toBe(429);
    } finally {
      await both.close();
      await own.close();
    }
  });
});

describe('limits on the provider entry, edited live', () => {
  it('applies a provider entry`s limits, and the new ones after a live change', async () => {
    const own = await startMockUpstream();
    const live = await startGateway({
      providers: { solo: { ...mockProvider(own), limits: { rpm: 1 } } },
      plugins: [retry({ attempts: 1 }), rateLimits()],
    });
    try {
      const ask = () => fetch(`${live.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'solo/m', messages: [{ role: 'user', content: 'x' }] }) });
      expect((await ask()).status).toBe(200);
      const refused = await ask();
      expect(refused.status).toBe(429);
      expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('deployment_rate_limited');

      await live.gateway.live.set('provider', 'solo', { ...mockProvider(own), limits: { rpm: 5 } }, 'test');
      expect((await ask()).status).toBe(200);
      await expect(live.gateway.live.set('provider', 'solo', { ...mockProvider(own), limits: { rpm: 0 } }, 'test')).rejects.toThrow(/config\/providers\/solo\/limits\/rpm must be >= 1/);
    } finally {
      await live.close();
      await own.close();
    }
  });
});
