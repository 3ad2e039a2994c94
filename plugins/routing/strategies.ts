/**
 * The order in which a route's targets are tried, one function per strategy. Each returns a new
 * array; the retry plugin then walks it (first target first).
 */
import type { DeploymentHealth } from 'llm-gateway/plugin';
import type { Target } from 'llm-gateway/provider-kit';

export const STRATEGIES = ['fallback', 'round-robin', 'weighted', 'least-latency', 'lowest-cost', 'usage-aware'] as const;
export type Strategy = (typeof STRATEGIES)[number];

/** A target as routes carry it: virtual model targets have a weight and a priority. */
export type RoutedTarget = Target & { weight?: number; priority?: number; tier?: 'free' | 'paid' };

export interface StrategyInput {
  health: (target: Target) => DeploymentHealth | undefined;
  /** USD per million tokens (input + output), when known. */
  price: (target: Target) => number | undefined;
  random: () => number;
  /** The route's round-robin cursor for this request (the store advances it once per request). */
  nextCursor: () => number;
  /** Whether a target is within its rate limits now (true when nothing limits it). */
  hasHeadroom: (target: Target) => boolean;
  /** The time, ms since the epoch (least-latency ages failures). */
  now: () => number;
}

/** least-latency: how long until a deployment's failures weigh half as much. */
const FAILURES_HALF_LIFE_MS = 60_000;

export function orderTargets(strategy: Strategy, targets: readonly RoutedTarget[], input: StrategyInput): RoutedTarget[] {
  switch (strategy) {
    case 'fallback':
      return byPriority(targets);
    case 'round-robin': {
      const start = input.nextCursor() % Math.max(1, targets.length);
      return [...targets.slice(start), ...targets.slice(0, start)];
    }
    case 'weighted':
      return weightedShuffle(targets, input.random);
    case 'least-latency': {
      // Deployments never tried go first, so every one gets measured; one tried that never answered
      // (it fails or times out) goes last, rather than first on every request for ever. A latency
      // counts for as much as the deployment answers: divided by its success rate, a fast one that
      // starts failing gives way instead of keeping its old place. Failures weigh half as much a
      // minute on: one left behind is not measured again, and would otherwise stay behind for good.
      // One left behind as slow is measured again now and then (remeasure.ts, once the client's
      // hints and open circuits have had their say).
      const now = input.now();
      return sortBy(targets, (t) => {
        const health = input.health(t);
        if (health === undefined || health.requests === 0) return -1;
        if (health.latencyMs === undefined) return Number.POSITIVE_INFINITY;
        const sinceFailure = now - (health.lastErrorAt ?? 0);
        const errorRate = (health.errorRate || 0) * 0.5 ** (sinceFailure / FAILURES_HALF_LIFE_MS);
        return health.latencyMs / Math.max(1 - errorRate, 1e-6);
      });
    }
    case 'lowest-cost':
      return sortBy(targets, (t) => input.price(t) ?? Number.POSITIVE_INFINITY);
    case 'usage-aware':
      // Free tiers with headroom, then paid ones with headroom, then whatever is at its limits.
      return sortBy(byPriority(targets), (t) => (input.hasHeadroom(t) ? 0 : 2) + (t.tier === 'free' ? 0 : 1));
  }
}

/** Lower priority first; config order among equals. */
function byPriority(targets: readonly RoutedTarget[]): RoutedTarget[] {
  return sortBy(targets, (t) => t.priority ?? 0);
}

function sortBy(targets: readonly RoutedTarget[], key: (t: RoutedTarget) => number): RoutedTarget[] {
  return targets.map((t, i) => ({ t, i, k: key(t) })).sort((a, b) => a.k - b.k || a.i - b.i).map((e) => e.t);
}

/**
 * A random order in which each target comes first with probability weight / total weights
 * (Efraimidis–Spirakis: sort by u^(1/w) descending), so fallbacks follow the weights too.
 */
function weightedShuffle(targets: readonly RoutedTarget[], random: () => number): RoutedTarget[] {
  return targets
    .map((t) => ({ t, key: Math.pow(random(), 1 / Math.max(t.weight ?? 1, Number.EPSILON)) }))
    .sort((a, b) => b.key - a.key)
    .map((e) => e.t);
}
