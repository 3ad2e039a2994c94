/**
 * The Retry-After of a tokens-per-minute refusal, through real sockets, on a Date the test moves.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { rateLimits, retry } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { completion, mockProvider, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

const post = (gw: RunningGateway, body: Record<string, unknown>) =>
  fetch(`${gw.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
const ask = { model: 'p/m', messages: [{ role: 'user', content: 'hi' }] };

describe('tpm refusal', () => {
  let up: MockUpstream | undefined;
  let gw: RunningGateway | undefined;
  afterEach(async () => {
    await gw?.close();
    await up?.close();
    vi.useRealTimers();
  });

  // docs/routing.md ("Rate limits"): `tpm` counts tokens "in the last minute" (sliding windows), and
  // a scope at its limit "refuses at once with a retryable 429 `deployment_rate_limited` whose
  // `Retry-After` is when it frees up". plugins/rate-limits/limiter.ts answers a full token window
  // with `untilNextBucket(MINUTE)` (the time to the next minute boundary), ignoring that the sliding
  // window still counts the previous minute's tokens, weighted: 1500 tokens used at second 59 of a
  // minute give "Retry-After: 1", and a client that waits that long is refused again, now with
  // "Retry-After: 60" — while the window really frees up after about 20 s (1500 × (1 − e) < 1000).
  // (Request windows get this right through waitUnder() in sdk/store/sliding-window.ts.)
  it('a client that waits the Retry-After it was given is let through', async () => {
    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
    vi.setSystemTime(Math.ceil(Date.now() / 60_000) * 60_000 + 59_000); // second 59 of a minute
    up = await startMockUpstream();
    gw = await startGateway({ providers: { p: mockProvider(up) }, plugins: [retry({ attempts: 1 }), rateLimits({ limits: { 'p/m': { tpm: 1000 } } })] });
    up.enqueue({ body: completion({ usage: { prompt_tokens: 1000, completion_tokens: 500, total_tokens: 1500 } }) });
    const first = await post(gw, ask);
    await first.text();
    expect(first.status).toBe(200);

    const refused = await post(gw, ask);
    await refused.text();
    expect(refused.status).toBe(429);
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);

    vi.setSystemTime(Date.now() + retryAfter * 1000 + 50); // the client does as it was told
    const again = await post(gw, ask);
    const text = await again.text();
    // Before its fix: Retry-After was 1, and this is a second 429 with Retry-After: 60.
    expect(again.status, `first Retry-After ${retryAfter}; then ${again.headers.get('retry-after')}: ${text}`).toBe(200);
  });
});
