/**
 * State kept per deployment (provider + model) that a client can name: health, circuits, learned
 * limits. A client may send any `provider/model` an OpenAI-compatible host will answer, so a map
 * keyed by it must not grow with what clients send. Deployments the operator configured (a
 * virtual model's targets, the models a provider lists) are always kept; any other lives in an
 * LRU of at most `cap` entries (default `UNCONFIGURED_DEPLOYMENTS_CAP`), least recently used
 * dropped first. After a change of configuration, `reconfigured` (on `config:change`) moves
 * deployments no longer configured into that LRU and drops those of providers replaced or removed;
 * `ofGeneration` keeps an entry per provider generation, for state a provider's other host must
 * not inherit.
 *
 * @example
 * const circuits = new DeploymentMap<Circuit>((t) => host.models.isConfigured(t));
 * const circuit = circuits.getOrCreate(target, (deployment) => new Circuit(deployment));
 */
import { LRUCache } from 'lru-cache';
import type { Target } from './providers/provider.js';

/** How many deployments nobody configured each per-deployment map keeps. */
export const UNCONFIGURED_DEPLOYMENTS_CAP = 1000;

/**
 * `provider/model`. The same target asked again gets the same string, not an equal new one: a
 * request's target is looked up in several maps (health, circuits, limits, prices), and a map
 * hashes a new string on every lookup and compares it with its key character by character, where
 * the same string's hash is kept and its comparison is one pointer. With the resolver's targets
 * the same objects from one request to the next (`ModelResolver`), so are their deployment strings.
 */
export function deploymentOf(target: Target): string {
  if (target !== lastTarget) {
    lastDeployment = `${target.provider}/${target.model}`;
    lastTarget = target;
  }
  return lastDeployment;
}
let lastTarget: Target | undefined;
let lastDeployment = '';

export class DeploymentMap<V extends {}> {
  private readonly configured = new Map<string, V>();
  private readonly others: LRUCache<string, V>;

  constructor(
    private readonly isConfigured: (target: Target) => boolean,
    cap = UNCONFIGURED_DEPLOYMENTS_CAP,
  ) {
    this.others = new LRUCache<string, V>({ max: cap });
  }

  get(target: Target): V | undefined {
    const deployment = deploymentOf(target);
    return this.configured.get(deployment) ?? this.others.get(deployment);
  }

  /** The deployment's entry, made by `create` when there is none. */
  getOrCreate(target: Target, create: (deployment: string) => V): V {
    const deployment = deploymentOf(target);
    const kept = this.configured.get(deployment);
    if (kept !== undefined) return kept;
    const configured = this.isConfigured(target);
    let value = this.others.get(deployment);
    if (value === undefined) value = create(deployment);
    else if (configured) this.others.delete(deployment); // configured since (a catalog refresh): kept from now on
    if (configured) this.configured.set(deployment, value);
    else this.others.set(deployment, value);
    return value;
  }

  /**
   * The deployment's entry of `generation` (its provider's, `PluginHost.providerGeneration`), made
   * by `create` when there is none or the one held is of another (the provider rebuilt with other
   * options since): what was learned of the old host is not the new one's.
   */
  ofGeneration<G extends V & { readonly generation: string }>(this: DeploymentMap<G>, target: Target, generation: string, create: (deployment: string) => G): G {
    const held = this.getOrCreate(target, create);
    if (held.generation === generation) return held;
    const deployment = deploymentOf(target);
    const made = create(deployment);
    if (this.configured.has(deployment)) this.configured.set(deployment, made);
    else this.others.set(deployment, made);
    return made;
  }

  /**
   * After a change of configuration (`config:change`): entries of deployments no longer configured
   * join the others' LRU (an operator's removals do not stay for good), and those of `replaced`
   * providers (removed, or rebuilt with other options: another host, other credentials) are
   * dropped, to start afresh if named again.
   */
  reconfigured(replaced: ReadonlySet<string>): void {
    for (const [deployment, value] of this.configured) {
      const slash = deployment.indexOf('/');
      const provider = deployment.slice(0, slash);
      if (replaced.has(provider)) this.configured.delete(deployment);
      else if (!this.isConfigured({ provider, model: deployment.slice(slash + 1) })) {
        this.configured.delete(deployment);
        this.others.set(deployment, value);
      }
    }
    for (const deployment of [...this.others.keys()]) if (replaced.has(deployment.slice(0, deployment.indexOf('/')))) this.others.delete(deployment);
  }

  /** Every entry, configured deployments first, then the others from most to least recently used. */
  entries(): Array<[string, V]> {
    return [...this.configured, ...this.others.entries()];
  }

  values(): V[] {
    return this.entries().map(([, value]) => value);
  }

  get size(): number {
    return this.configured.size + this.others.size;
  }
}
