import { describe, expect, it } from 'vitest';
import { orderTargets, type RoutedTarget, type StrategyInput } from '../../../plugins/routing/strategies.js';

const a: RoutedTarget = { provider: 'a', model: 'm', weight: 3, priority: 1 };
const b: RoutedTarget = { provider: 'b', model: 'm', weight: 1, priority: 0 };
const c: RoutedTarget = { provider: 'c', model: 'm', weight: 1, priority: 0 };
const names = (targets: RoutedTarget[]) => targets.map((t) => t.provider).join('');

function input(overrides: Partial<StrategyInput> = {}): StrategyInput {
  let cursor = 0;
  return { health: () => undefined, price: () => undefined, random: Math.random, nextCursor: () => cursor++, hasHeadroom: () => true, now: Date.now, ...overrides };
}

describe('strategies', () => {
  it('fallback: by priority, config order among equals', () => {
    expect(names(orderTargets('fallback', [a, b, c], input()))).toBe('bca');
  });

  it('round-robin: each request starts one further along', () => {
    const shared = input();
    expect([0, 1, 2, 3].map(() => names(orderTargets('round-robin', [a, b, c], shared)))).toEqual(['abc', 'bca', 'cab', 'abc']);
  });

  it('least-latency: unmeasured first (to measure them), then fastest', () => {
    const latency: Record<string, number> = { a: 120, c: 40 };
    const health = (t: { provider: string }) => (latency[t.provider] === undefined ? undefined : ({ latencyMs: latency[t.provider] } as never));
    expect(names(orderTargets('least-latency', [a, b, c], input({ health })))).toBe('bca');
  });

  // Before its fix a deployment that had been fast kept its place while it failed: its latency
  // average only moves on a success, so only the circuit breaker, if configured, moved traffic off.
  it('least-latency: a fast deployment that fails gives way to a slower one that answers', () => {
    const measured: Record<string, { requests: number; latencyMs: number; errorRate: number; lastErrorAt?: number }> = { a: { requests: 20, latencyMs: 100, errorRate: 0.36, lastErrorAt: Date.now() }, b: { requests: 20, latencyMs: 150, errorRate: 0 }, c: { requests: 20, latencyMs: 90, errorRate: 0 } };
    const health = (t: { provider: string }) => measured[t.provider] as never;
    // a: 100 / 0.64 ≈ 156 ms a success, b: 150, c: 90.
    expect(names(orderTargets('least-latency', [a, b, c], input({ health })))).toBe('cba');
    const healthy = (t: { provider: string }) => ({ ...measured[t.provider], errorRate: 0 }) as never;
    expect(names(orderTargets('least-latency', [a, b, c], input({ health: healthy })))).toBe('cab');
  });

  // A deployment left behind is not tried while the others answer, so its error rate would never
  // come down: its failures weigh half as much a minute on (a review of the first fix found it).
  it('least-latency: a deployment that failed long ago takes its place again', () => {
    const now = 1_000_000_000;
    const failedAt = (ago: number) => (t: { provider: string }) =>
      ({ a: { requests: 20, latencyMs: 100, errorRate: 0.9, lastErrorAt: now - ago }, b: { requests: 20, latencyMs: 150, errorRate: 0 }, c: { requests: 20, latencyMs: 300, errorRate: 0 } })[t.provider as 'a' | 'b' | 'c'] as never;
    expect(names(orderTargets('least-latency', [a, b, c], input({ health: failedAt(1_000), now: () => now })))).toBe('bca');
    expect(names(orderTargets('least-latency', [a, b, c], input({ health: failedAt(600_000), now: () => now })))).toBe('abc');
  });

  it('lowest-cost: cheapest first, unknown prices last', () => {
    const price = (t: { provider: string }) => ({ a: 0.5, b: 3 } as Record<string, number>)[t.provider];
    expect(names(orderTargets('lowest-cost', [c, b, a], input({ price })))).toBe('abc');
  });

  it('usage-aware: free tiers with headroom, then paid with headroom, then the exhausted', () => {
    const free1: RoutedTarget = { provider: 'f1', model: 'm', tier: 'free' };
    const free2: RoutedTarget = { provider: 'f2', model: 'm', tier: 'free' };
    const paid: RoutedTarget = { provider: 'p', model: 'm', tier: 'paid' };
    const full = new Set(['f1']);
    const ordered = orderTargets('usage-aware', [paid, free1, free2], input({ hasHeadroom: (t) => !full.has(t.provider) }));
    expect(ordered.map((t) => t.provider)).toEqual(['f2', 'p', 'f1']);
  });

  it('weighted: each target comes first in proportion to its weight', () => {
    const firsts: Record<string, number> = { a: 0, b: 0, c: 0 };
    const runs = 20_000;
    for (let i = 0; i < runs; i++) firsts[orderTargets('weighted', [a, b, c], input())[0]!.provider]!++;
    // weights 3:1:1 → 0.6, 0.2, 0.2; binomial sd at n=20000 is ~0.0035, so ±0.02 is over 5 sd.
    expect(firsts.a! / runs).toBeCloseTo(0.6, 1);
    expect(Math.abs(firsts.a! / runs - 0.6)).toBeLessThan(0.02);
    expect(Math.abs(firsts.b! / runs - 0.2)).toBeLessThan(0.02);
    expect(Math.abs(firsts.c! / runs - 0.2)).toBeLessThan(0.02);
  });
});
