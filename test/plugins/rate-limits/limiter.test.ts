import { describe, expect, it } from 'vitest';
import { Limiter } from '../../../plugins/rate-limits/limiter.js';
import { exhaustedUntil, parseDuration } from '../../../plugins/rate-limits/provider-headers.js';

describe('Limiter', () => {
  it('refuses past rpm until the oldest request leaves the minute', () => {
    const l = new Limiter('p', { rpm: 2 });
    l.started(0);
    l.ended();
    l.started(10_000);
    l.ended();
    expect(l.waitMs(20_000)).toBe(40_000);
    expect(l.waitMs(60_000)).toBe(0);
  });

  it('counts tokens per minute and per day', () => {
    const l = new Limiter('p', { tpm: 1000, tpd: 1500 });
    l.usedTokens(600, 0);
    expect(l.waitMs(1)).toBe(0);
    l.usedTokens(500, 30_000);
    expect(l.waitMs(40_000)).toBe(20_000);
    expect(l.waitMs(61_000)).toBe(0);
    l.usedTokens(500, 61_000);
    expect(l.waitMs(62_000)).toBe(86_400_000 - 62_000);
  });

  it('holds concurrency until requests end', () => {
    const l = new Limiter('p', { concurrency: 1 });
    l.started(0);
    expect(l.waitMs(0)).toBeGreaterThan(0);
    l.ended();
    expect(l.waitMs(0)).toBe(0);
  });

  it('honours a block learned from the provider, and reports headroom', () => {
    const l = new Limiter('p/m', { rpm: 10 });
    l.started(0);
    l.blockedUntil = 5000;
    expect(l.waitMs(1000)).toBe(4000);
    expect(l.headroom(1000)).toEqual({ scope: 'p/m', requestsPerMinute: { limit: 10, used: 1 }, exhaustedForMs: 4000 });
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
