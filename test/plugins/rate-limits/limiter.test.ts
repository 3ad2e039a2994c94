import { describe, expect, it } from 'vitest';
import { Limiter } from '../../../plugins/rate-limits/limiter.js';
import { exhaustedUntil, parseDuration } from '../../../plugins/rate-limits/provider-headers.js';
import { countersShapes, testCounters, type CountersShape } from '../../support/counters.js';

describe.each(countersShapes)('Limiter on %s counters', (shape: CountersShape) => {
  /** A limiter on memory counters that share the test's clock. */
  function limiter(key: string, limits: ConstructorParameters<typeof Limiter>[1]) {
    const clock = { now: 0 };
    return { clock, l: new Limiter(key, limits, testCounters(shape, () => clock.now)) };
  }

  it('refuses past rpm, then lets requests through as the window slides', async () => {
    const { clock, l } = limiter('p', { rpm: 2 });
    expect(await l.admit(0)).toBe(0);
    expect(await l.admit(10_000)).toBe(0);
    clock.now = 20_000;
    // Both requests are in this minute's bucket; in the next they still count, less as it passes,
    // and a third fits once they weigh 1 (2 × (1 − e) + 1 ≤ 2): half-way into it, at 90 s.
    expect(await l.admit(20_000)).toBe(70_000);
    clock.now = 90_000;
    // Half of the previous minute still counts: 2 × 0.5 = 1 < 2.
    expect(await l.admit(90_000)).toBe(0);
    expect(await l.admit(90_000)).toBeGreaterThan(0);
    clock.now = 120_000;
    expect(await l.admit(120_000)).toBe(0);
  });

  it('a refused request takes nothing', async () => {
    const { l } = limiter('p', { rpm: 1, concurrency: 5 });
    expect(await l.admit(0)).toBe(0);
    for (let i = 0; i < 5; i++) expect(await l.admit(1)).toBeGreaterThan(0);
    expect(await l.headroom(1)).toMatchObject({ requestsPerMinute: { limit: 1, used: 1 }, concurrency: { limit: 5, used: 1 } });
  });

  it('a request a later window refuses gives back what the earlier window and the slot took', async () => {
    const { l } = limiter('p', { rpm: 5, rpd: 1, concurrency: 3 });
    expect(await l.admit(0)).toBe(0);
    expect(await l.admit(1)).toBeGreaterThan(0);
    expect(await l.headroom(1)).toMatchObject({ requestsPerMinute: { used: 1 }, requestsPerDay: { used: 1 }, concurrency: { used: 1 } });
  });

  it('withdraw gives back all an admission took', async () => {
    const { l } = limiter('p', { rpm: 5, rpd: 50, concurrency: 2 });
    expect(await l.admit(0)).toBe(0);
    expect(await l.admit(1)).toBe(0);
    await l.withdraw(1);
    expect(await l.headroom(1)).toMatchObject({ requestsPerMinute: { used: 1 }, requestsPerDay: { used: 1 }, concurrency: { used: 1 } });
  });

  it('counts tokens per minute and per day', async () => {
    const { clock, l } = limiter('p', { tpm: 1000, tpd: 1500 });
    await l.usedTokens(600, 0);
    expect(await l.admit(1)).toBe(0);
    await l.usedTokens(500, 30_000);
    clock.now = 40_000;
    // 1,100 tokens in this minute: a token fits once they weigh 999 in the next (at 65.51 s), not
    // when it starts, where all 1,100 still count.
    expect(await l.admit(40_000)).toBe(25_510);
    clock.now = 121_000;
    expect(await l.admit(121_000)).toBe(0);
    await l.usedTokens(500, 121_000);
    // 1,600 tokens today: a token fits tomorrow once they weigh 1,499 (101/1,600 of the way in).
    expect(await l.admit(122_000)).toBe(86_400_000 - 122_000 + (101 / 1_600) * 86_400_000);
  });

  it('holds concurrency until requests end', async () => {
    const { l } = limiter('p', { concurrency: 1 });
    expect(await l.admit(0)).toBe(0);
    expect(await l.admit(0)).toBeGreaterThan(0);
    await l.ended();
    expect(await l.admit(0)).toBe(0);
  });

  it('honours a block learned from the provider, keeping the longer one, and reports headroom', async () => {
    const { clock, l } = limiter('p/m', { rpm: 10 });
    expect(await l.admit(0)).toBe(0);
    await l.block(5000);
    await l.block(1000);
    clock.now = 1000;
    expect(await l.admit(1000)).toBe(4000);
    expect(await l.hasHeadroom(1000)).toBe(false);
    expect(await l.headroom(1000)).toEqual({ scope: 'p/m', requestsPerMinute: { limit: 10, used: 1 }, exhaustedForMs: 4000 });
    clock.now = 5000;
    expect(await l.hasHeadroom(5000)).toBe(true);
  });
});

describe('provider rate-limit headers', () => {
  it.each([
    ['1s', 1000],
    ['6m0s', 360_000],
    ['1h2m3.5s', 3_723_500],
    ['20ms', 20],
    ['2', 2000],
    ['soon', Number.NaN],
  ])('parseDuration(%s) = %s', (text, ms) => expect(parseDuration(text)).toBe(ms));

  it('reads OpenAI-style headers', () => {
    expect(exhaustedUntil({ 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '1.5s' }, 1000)).toBe(2500);
    expect(exhaustedUntil({ 'x-ratelimit-remaining-requests': '5', 'x-ratelimit-reset-requests': '1s' }, 1000)).toBeUndefined();
    expect(exhaustedUntil({ 'x-ratelimit-remaining-tokens': '0', 'x-ratelimit-reset-tokens': '6m0s', 'x-ratelimit-remaining-requests': '3' }, 0)).toBe(360_000);
  });

  it("reads Anthropic's headers", () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(exhaustedUntil({ 'anthropic-ratelimit-requests-remaining': '0', 'anthropic-ratelimit-requests-reset': '2026-01-01T00:00:30Z' }, now)).toBe(now + 30_000);
  });

  it('assumes a minute when the reset time is missing or unreadable', () => {
    expect(exhaustedUntil({ 'x-ratelimit-remaining-requests': '0' }, 0)).toBe(60_000);
  });
});
