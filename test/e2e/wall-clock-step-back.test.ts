/**
 * The wall clock steps back (an NTP step after a host booted with its clock ahead, a VM restored
 * from a snapshot, an operator fixing the time): what the gateway was waiting out must not grow by
 * the size of the step.
 *
 * The in-process counters (core/store/memory-counters.ts, the default store, and the SQLite store's
 * counters) keep each entry's expiry as an absolute `Date.now()` time, and the token bucket refills
 * by `now - bucket.at`. After the clock steps back by an hour:
 * - an open circuit (`circuit:<deployment>:open`, cooldown 1 s) stays open for the hour: every
 *   request to the deployment gets 503 `circuit_open` "next try in 3601 s";
 * - a provider's `Retry-After: 1`, learned by gateway:rate-limits, blocks the deployment for the hour;
 * - a key with `algorithm: 'token-bucket'` loses an hour of refill (the bucket goes thousands of
 *   tokens negative): its client is refused with 429 for about an hour.
 *
 * Date is faked (vitest, `shouldAdvanceTime`: it keeps running with real time) before the gateway
 * is made, so its counters read the faked clock; timers are real.
 *
 * Before its fix every case here failed. Now the in-process counters and leases run on
 * core/store/steady-now.ts (the wall clock at the process's start plus the monotonic clock), a
 * token bucket is never emptied by time going back (in Redis's script too), and a cache clear made
 * on this replica takes all that matches in its view (plugins/cache/entries.ts).
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { auth, circuitBreaker, rateLimits, retry } from '../../index.js';
import { completion, mockProvider, startGateway, startMockUpstream, type MockUpstream, type RunningGateway } from '../../sdk/testing.js';

const HOUR = 3_600_000;
const ADMIN = 'admin-key-for-clock-review-0123456789';
const ask = { model: 'p/m', messages: [{ role: 'user', content: 'hi' }] };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const stepClockBack = (ms: number) => vi.setSystemTime(Date.now() - ms);

let up: MockUpstream | undefined;
let gw: RunningGateway | undefined;
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
});
afterEach(async () => {
  await gw?.close();
  await up?.close();
  gw = undefined;
  up = undefined;
  vi.useRealTimers();
});

const post = (secret?: string) =>
  fetch(`${gw!.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(secret ? { authorization: `Bearer ${secret}` } : {}) },
    body: JSON.stringify(ask),
  });

async function answer(secret?: string): Promise<{ status: number; retryAfter: string | null; text: string }> {
  const res = await post(secret);
  return { status: res.status, retryAfter: res.headers.get('retry-after'), text: await res.text() };
}

describe('the wall clock steps back an hour', () => {
  it('an open circuit with a 1 s cooldown is half-open after the cooldown, not an hour later', async () => {
    up = await startMockUpstream();
    gw = await startGateway({ providers: { p: mockProvider(up) }, plugins: [retry({ attempts: 1 }), circuitBreaker({ failureThreshold: 1, cooldownMs: 1000 })] });
    up.enqueue({ status: 500, body: { error: { message: 'down' } } });
    expect((await answer()).status).toBe(500); // the circuit opens for 1 s
    stepClockBack(HOUR);
    await sleep(1300); // the cooldown is over in real time
    const probe = await answer();
    // Before a fix: 503 circuit_open, "next try in 3600 s", Retry-After 3600.
    expect({ status: probe.status, retryAfter: probe.retryAfter }).toEqual({ status: 200, retryAfter: null });
  });

  it("a provider's Retry-After: 1 blocks the deployment for a second, not an hour", async () => {
    up = await startMockUpstream();
    gw = await startGateway({ providers: { p: mockProvider(up) }, plugins: [retry({ attempts: 1 }), rateLimits()] });
    up.enqueue({ status: 429, headers: { 'retry-after': '1' }, body: { error: { message: 'slow down' } } });
    expect((await answer()).status).toBe(429); // learned: the deployment is blocked for 1 s
    stepClockBack(HOUR);
    await sleep(1300);
    const next = await answer();
    // Before a fix: 429 deployment_rate_limited, "it frees up in 3600 s".
    expect({ status: next.status, retryAfter: next.retryAfter }).toEqual({ status: 200, retryAfter: null });
  });

  it("a token-bucket key (60 rpm, burst 5) is not refused for an hour", async () => {
    up = await startMockUpstream();
    gw = await startGateway({ server: { adminKey: ADMIN }, providers: { p: mockProvider(up) }, plugins: [auth()] });
    const created = await fetch(`${gw.url}/admin/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bucket', limits: { rpm: 60, algorithm: 'token-bucket', burst: 5 } }),
    });
    const { secret } = (await created.json()) as { secret: string };
    up.enqueue({ body: completion() });
    expect((await answer(secret)).status).toBe(200);
    stepClockBack(HOUR);
    await sleep(1100); // a second of refill at 1 token/s; the bucket had 4 of 5 left anyway
    const next = await answer(secret);
    // Before a fix: 429 rpm_exceeded with Retry-After about 3600 (the bucket is ~3596 tokens short).
    expect({ status: next.status, retryAfter: next.retryAfter }).toEqual({ status: 200, retryAfter: null });
  });
});

describe('the wall clock steps back an hour, then the cache is cleared', () => {
  // plugins/cache/entries.ts matches(): `if (meta.createdAt > at) return false`: a clear leaves every
  // entry made "after" it. After the step, every entry made in the hour before it is such an entry:
  // DELETE /v1/cache answers as if it had cleared, and the same stale answer keeps being served (a
  // clear made because answers were wrong, a model changed, a prompt leaked) until the hour has passed.
  it.each([0, HOUR])('DELETE /v1/cache clears an entry made before a step back of %i ms', async (step) => {
    const { cache } = await import('../../index.js');
    up = await startMockUpstream();
    gw = await startGateway({ server: { adminKey: ADMIN }, providers: { p: mockProvider(up) }, plugins: [cache()] });
    const calls = () => up!.requests.filter((r) => r.method === 'POST').length;
    const first = await post(undefined);
    expect(first.headers.get('x-gateway-cache')).toBe('miss');
    await first.text();
    stepClockBack(step);
    const cleared = await fetch(`${gw.url}/v1/cache`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN}` } });
    const clearedBody = (await cleared.json()) as { deleted: number };
    const again = await post(undefined);
    await again.text();
    // Before a fix: deleted 0, and the second request is a hit that never reaches the upstream.
    expect({ deleted: clearedBody.deleted, cache: again.headers.get('x-gateway-cache'), upstreamCalls: calls() }).toEqual({ deleted: 1, cache: 'miss', upstreamCalls: 2 });
  });
});
