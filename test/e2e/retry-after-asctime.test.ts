/**
 * `Retry-After` as an HTTP-date in the asctime form (`Wed Oct 21 07:28:00 2026`), which RFC 9110
 * §5.6.7 says recipients MUST accept and which, like every HTTP-date, is GMT.
 * sdk/provider-kit/upstream-errors.ts accepts the form (its HTTP_DATE pattern) but reads it with
 * `Date.parse`, which takes a date with no zone as the server's *local* time. On a gateway with
 * TZ=America/New_York a provider's "retry in 2 s" becomes "retry in 4 hours" (EDT): the learned
 * block (gateway:rate-limits, capped at an hour) refuses every request to the deployment for an
 * hour; east of UTC (Pacific/Chatham, +13:45) it is in the past: "retry at once", and the provider
 * that asked for a pause is hammered.
 *
 * Before its fix these failed (18,029 s on New York time in one run; a deployment blocked for the
 * hour's cap). Now a date without ` GMT` is read with it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { retryAfterSeconds } from '../../sdk/provider-kit/upstream-errors.js';
import { rateLimits, retry } from '../../index.js';
import { completion, mockProvider, startGateway, startMockUpstream, type MockUpstream, type RunningGateway } from '../../sdk/testing.js';

const savedTz = process.env.TZ;
afterEach(() => {
  if (savedTz === undefined) delete process.env.TZ;
  else process.env.TZ = savedTz;
});

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const two = (n: number) => String(n).padStart(2, '0');
/** RFC 9110's asctime-date, in GMT as every HTTP-date is. */
function asctime(ms: number): string {
  const d = new Date(ms);
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${two(d.getUTCHours())}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} ${d.getUTCFullYear()}`;
}

describe('Retry-After in the asctime form', () => {
  it.each(['America/New_York', 'Pacific/Chatham'])('is read as GMT, whatever the server time zone (TZ=%s)', (tz) => {
    process.env.TZ = tz;
    const seconds = retryAfterSeconds({ 'retry-after': asctime(Date.now() + 30_000) });
    // Before a fix: about 14,430 (New York, EDT) or 0 (Chatham).
    expect(seconds).toBeGreaterThan(25);
    expect(seconds).toBeLessThanOrEqual(31);
  });

  describe('through the gateway, TZ=America/New_York', () => {
    let up: MockUpstream | undefined;
    let gw: RunningGateway | undefined;
    afterEach(async () => {
      await gw?.close();
      await up?.close();
    });

    it("a provider's 429 asking for 2 s does not block the deployment for an hour", async () => {
      process.env.TZ = 'America/New_York';
      up = await startMockUpstream();
      gw = await startGateway({ providers: { p: mockProvider(up) }, plugins: [retry({ attempts: 1 }), rateLimits()] });
      const post = () =>
        fetch(`${gw!.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'p/m', messages: [{ role: 'user', content: 'hi' }] }) });
      up.enqueue({ status: 429, headers: { 'retry-after': asctime(Date.now() + 2000) }, body: { error: { message: 'slow down' } } }, { body: completion() });
      const first = await post();
      await first.text();
      expect(first.status).toBe(429);
      await new Promise((resolve) => setTimeout(resolve, 3000));
      const second = await post();
      const text = await second.text();
      // Before a fix: 429 deployment_rate_limited, Retry-After 3597 ("it frees up in 3597 s").
      expect({ status: second.status, retryAfter: second.headers.get('retry-after') }, text).toEqual({ status: 200, retryAfter: null });
    });
  });
});
