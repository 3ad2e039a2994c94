/**
 * The kernel's default routing: what a `model` string names.
 *
 * 1. A virtual model (a stack) by name → its targets, in config order.
 * 2. `provider/model` where `provider` is a configured provider id → that provider, the rest as the
 *    model (which may itself contain slashes: `openrouter/meta-llama/llama-3.3-70b-instruct`).
 * 3. A bare model id some provider lists (`gpt-4o-mini`) → the first such provider in config order.
 *
 * Router plugins may decide otherwise by setting `ctx.route` before the request reaches dispatch;
 * they reach this resolver as `host.models`.
 */
import type { RouteDecision } from '../context.js';
import type { ResolvedVirtualModel } from '../config/resolve-config.js';
import { deploymentOf } from '../deployment-map.js';
import { invalidRequest, notFound } from '../errors.js';
import type { ModelObject } from '../protocol/openai.js';
import type { ModelCatalog } from '../providers/catalog.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { Target } from '../providers/provider.js';

/** What a model name names: the view of the resolver plugins get (`host.models`), always current. */
export interface ModelLookup {
  resolve(model: string): RouteDecision;
  /** A virtual model's definition (its strategy, its targets' weights), by name. */
  virtualModel(name: string): ResolvedVirtualModel | undefined;
  allVirtualModels(): IterableIterator<ResolvedVirtualModel>;
  /** Every model clients may ask for, as `GET /v1/models` lists them: providers' models, then virtual models. */
  list(): ModelObject[];
  /**
   * Whether a deployment is one the operator configured: a virtual model's target or a model its
   * provider lists. Per-deployment state keeps these; any other (a client-chosen `provider/model`)
   * is held in a capped LRU (`DeploymentMap`).
   */
  isConfigured(target: Target): boolean;
}

/**
 * The longest model name a client may send (real ids are well under 200 characters). Names are
 * remembered (direct targets here, deployments' health) and echoed in errors: a client's names of
 * megabytes each were kept a thousand at a time.
 */
export const LONGEST_MODEL_NAME = 1024;

/** How many `provider/model` names a resolver remembers the targets of before it starts over. */
const DIRECT_TARGETS_KEPT = 1000;

export class ModelResolver implements ModelLookup {
  private targetsOfVirtualModels: Set<string> | undefined;
  private readonly direct = new Map<string, readonly Target[]>();

  constructor(
    private readonly virtualModels: ReadonlyMap<string, ResolvedVirtualModel>,
    private readonly providers: ProviderRegistry,
    private readonly catalog: ModelCatalog,
  ) {}

  /**
   * Every model a client may name, as `GET /v1/models` lists them: each provider's models as
   * `provider/model`, then the virtual models. For API surfaces with their own model list.
   */
  list(): ModelObject[] {
    return this.catalog.list(this.virtualModels);
  }

  allVirtualModels(): IterableIterator<ResolvedVirtualModel> {
    return this.virtualModels.values();
  }

  /** A virtual model's definition (its strategy, its targets' weights), by name. */
  virtualModel(name: string): ResolvedVirtualModel | undefined {
    return this.virtualModels.get(name);
  }

  isConfigured(target: Target): boolean {
    if (this.catalog.providersOf(target.model).includes(target.provider)) return true;
    this.targetsOfVirtualModels ??= new Set([...this.virtualModels.values()].flatMap((m) => m.targets.map((t) => `${t.provider}/${t.model}`)));
    return this.targetsOfVirtualModels.has(deploymentOf(target));
  }

  resolve(model: string): RouteDecision {
    if (model.length > LONGEST_MODEL_NAME) throw invalidRequest(`The model name is ${model.length} characters long; a model's name is at most ${LONGEST_MODEL_NAME}.`, 'model', 'model_name_too_long');
    const virtual = this.virtualModels.get(model);
    if (virtual) {
      return { requestedModel: model, virtualModel: model, targets: virtual.targets, reason: 'virtual-model' };
    }
    const slash = model.indexOf('/');
    if (slash > 0) {
      const provider = model.slice(0, slash);
      const providerModel = model.slice(slash + 1);
      if (this.providers.has(provider) && providerModel.length > 0) {
        return { requestedModel: model, targets: this.directTargets(model, provider, providerModel), reason: 'direct' };
      }
    }
    const listedBy = this.catalog.providersOf(model);
    if (listedBy.length > 0) {
      return { requestedModel: model, targets: listedBy.map((provider) => ({ provider, model })), reason: 'catalog' };
    }
    throw notFound(this.explain(model, slash > 0 ? model.slice(0, slash) : undefined), 'model_not_found', 'model');
  }

  /**
   * The same target objects for the same `provider/model` from one request to the next, so that
   * the maps keyed by deployment get the same strings (see `deploymentOf`). Bounded: clients name
   * models; a resolver lives until the providers or virtual models change.
   */
  private directTargets(model: string, provider: string, providerModel: string): readonly Target[] {
    let targets = this.direct.get(model);
    if (targets === undefined) {
      if (this.direct.size >= DIRECT_TARGETS_KEPT) this.direct.clear();
      targets = [{ provider, model: providerModel }];
      this.direct.set(model, targets);
    }
    return targets;
  }

  private explain(model: string, provider: string | undefined): string {
    const configured = this.providers.all().map((p) => p.id);
    const known = configured.length > 0 ? configured.join(', ') : 'none';
    if (provider !== undefined && !this.providers.has(provider)) {
      return `The model '${model}' does not exist: no provider '${provider}' is configured (configured providers: ${known}). Use 'provider/model' or a virtual model; GET /v1/models lists them.`;
    }
    return `The model '${model}' does not exist: name it as 'provider/model' (configured providers: ${known}) or use a virtual model; GET /v1/models lists them.`;
  }
}
