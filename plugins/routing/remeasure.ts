/**
 * least-latency's second look at the deployments it leaves behind. One measured slow in a bad
 * minute is never tried again while another answers, so its average would stay that of its bad
 * minute for as long as the gateway runs. So now and then one request measures it again, and the
 * health tracker weighs a sample after a silence more (core/health.ts), so that one request says
 * where it stands.
 *
 * "Now and then" is both: five minutes untried, and fifty requests sent elsewhere first since it
 * was last measured by this. At a trickle of traffic (a request every few minutes) every
 * deployment but the one just used is five minutes untried, and time alone would send every other
 * request to the slow one; fifty requests bound what measuring costs to one request in fifty.
 * Only deployments that have answered are measured again: one that only failed or timed out stays
 * last (its failures age in the strategy's order instead), and a client's `prefer`, or an open
 * circuit, comes before this (the caller does not ask then, so no turn is spent on them).
 */
import { DeploymentMap, type DeploymentHealth, type Target } from 'llm-gateway/plugin';
import type { RoutedTarget } from './strategies.js';

export const REMEASURE_AFTER_MS = 5 * 60_000;
export const REMEASURE_AFTER_PASSES = 50;

export class Remeasuring {
  /** Requests sent elsewhere first since each deployment was last measured again. */
  private readonly passedOver: DeploymentMap<{ count: number }>;

  constructor(isConfigured: (target: Target) => boolean) {
    this.passedOver = new DeploymentMap(isConfigured);
  }

  /** After a change of configuration: see `DeploymentMap.reconfigured`. */
  reconfigured(replaced: ReadonlySet<string>): void {
    this.passedOver.reconfigured(replaced);
  }

  /** `targets` in the order they will be tried, with one left behind put first if its turn has come. */
  apply(targets: readonly RoutedTarget[], health: (target: Target) => DeploymentHealth | undefined, open: ReadonlySet<Target> | undefined, now: number): readonly RoutedTarget[] {
    let turn: RoutedTarget | undefined;
    for (let i = 1; i < targets.length; i++) {
      const target = targets[i]!;
      const measured = health(target);
      if (open?.has(target) || measured?.latencyMs === undefined) continue;
      const passed = this.passedOver.getOrCreate(target, () => ({ count: 0 }));
      passed.count++;
      if (turn === undefined && passed.count >= REMEASURE_AFTER_PASSES && untriedFor(measured, now) > REMEASURE_AFTER_MS) {
        turn = target;
        passed.count = 0;
      }
    }
    return turn === undefined ? targets : [turn, ...targets.filter((t) => t !== turn)];
  }
}

/** How long since the deployment was last tried (answered or failed). */
function untriedFor(health: DeploymentHealth, now: number): number {
  return now - Math.max(health.lastSuccessAt ?? 0, health.lastErrorAt ?? 0);
}
