import { describe, expect, it } from 'vitest';
import { retry } from '../../../plugins/retry/index.js';
import { backoffDelay } from '../../../plugins/retry/backoff.js';

const options = { initialMs: 100, maxMs: 1000, multiplier: 2, jitter: 'none' as const };

describe('backoffDelay', () => {
  it.each([
    [0, 100],
    [1, 200],
    [2, 400],
    [3, 800],
    [4, 1000],
    [9, 1000],
  ])('retry %i waits %i ms without jitter', (retryNumber, ms) => expect(backoffDelay(retryNumber, options)).toBe(ms));

  it('spreads delays over [0, computed] with full jitter', () => {
    expect(backoffDelay(2, { ...options, jitter: 'full' }, undefined, () => 0)).toBe(0);
    expect(backoffDelay(2, { ...options, jitter: 'full' }, undefined, () => 0.5)).toBe(200);
    expect(backoffDelay(2, { ...options, jitter: 'full' }, undefined, () => 0.999)).toBe(400);
  });

  it('honours the upstream\'s Retry-After over its own schedule', () => {
    expect(backoffDelay(3, options, 2.5)).toBe(2500);
    expect(backoffDelay(0, options, 0)).toBe(0);
  });
});

describe('retry options', () => {
  it('refuses nonsense at start', () => {
    expect(() => retry({ attempts: 0 })).toThrow(/gateway:retry: options\/attempts must be >= 1 \(found 0\)/);
    expect(() => retry({ fallbackOn: ['client' as never] })).toThrow(/options\/fallbackOn\/0 must be one of: "rate_limit", "timeout", "connection", "server"/);
  });

  it('can be made without options', () => {
    expect(retry().name).toBe('gateway:retry');
  });
});
