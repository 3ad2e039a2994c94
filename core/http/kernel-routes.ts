/**
 * The kernel's own routes: liveness and readiness, the model list, and what the gateway knows of
 * each provider (its model listing, per-deployment health, and the sections plugins contribute:
 * circuit states, rate-limit headroom).
 */
import type Router from '@koa/router';
import type { Context } from 'koa';
import { notFound } from '../errors.js';
import type { HealthTracker } from '../health.js';
import type { ProviderRuntime } from '../live/provider-runtime.js';
import type { ProviderStatusSection } from '../plugin.js';
import { modelVisibility } from '../model-visibility.js';
import type { ServiceRegistry } from '../services.js';

export interface KernelRouteDeps {
  /** Providers, catalog and virtual models as they are now (a live change replaces them). */
  runtime: ProviderRuntime;
  health: HealthTracker;
  sections: readonly ProviderStatusSection[];
  /** Where a plugin may provide `modelVisibility` (what a caller's key may see). */
  services: ServiceRegistry;
  /** Wraps a route for clients with a gateway key (the probes stay public). */
  guard: (handler: (koa: Context) => Promise<void> | void) => (koa: Context) => Promise<void> | void;
}

/** The paths the kernel serves (GET), which no plugin's route or front-end may take (core/route-claims.ts). */
export const KERNEL_PATHS = {
  health: '/health',
  ready: '/ready',
  models: '/v1/models',
  // Model ids contain slashes (`groq/llama-3.3-70b-versatile`), hence the wildcard.
  model: '/v1/models/*model',
  providers: '/v1/providers',
  providerHealth: '/v1/providers/:id/health',
} as const;

export function mountKernelRoutes(router: Router, deps: KernelRouteDeps): void {
  const { runtime, guard } = deps;

  /** Liveness: the process answers. */
  router.get(KERNEL_PATHS.health, (koa) => {
    koa.body = { status: 'ok' };
  });

  /** Readiness: every provider has answered its first model listing (well or badly). */
  router.get(KERNEL_PATHS.ready, (koa) => {
    const providers = runtime.catalog.status().map((l) => ({ id: l.provider, status: l.status, models: l.models.length, ...(l.error ? { error: l.error } : {}) }));
    const ready = runtime.catalog.isSettled();
    koa.status = ready ? 200 : 503;
    koa.body = { status: ready ? 'ready' : 'starting', providers };
  });

  /** What this caller may see of the models: all (undefined), or those its key may use. */
  const visibleTo = (koa: Context) => deps.services.tryResolve(modelVisibility)?.(koa);
  const listFor = (koa: Context) => {
    const all = runtime.catalog.list(runtime.virtualModels);
    const visible = visibleTo(koa);
    return visible ? all.filter((model) => visible(model.id)) : all;
  };

  router.get(KERNEL_PATHS.models, guard((koa) => {
    koa.body = { object: 'list', data: listFor(koa) };
  }));

  router.get(KERNEL_PATHS.model, guard((koa) => {
    const param = koa.params.model as string | string[];
    const id = Array.isArray(param) ? param.join('/') : param;
    const model = listFor(koa).find((m) => m.id === id);
    if (!model) throw notFound(`The model '${id}' does not exist; GET /v1/models lists them.`, 'model_not_found', 'model');
    koa.body = model;
  }));

  /** The provider's deployments this caller may see (served before, with their health). */
  const deploymentsOf = (id: string, visible: ((model: string) => boolean) | undefined) =>
    deps.health.all().filter((h) => h.provider === id && (!visible || visible(`${h.provider}/${h.model}`)));

  // Sections may read shared state (Redis), hence asynchronous.
  const describe = async (id: string, visible: ((model: string) => boolean) | undefined) => {
    const provider = runtime.registry.get(id)!;
    const listing = runtime.catalog.status().find((l) => l.provider === id);
    const sections = Object.fromEntries(await Promise.all(deps.sections.map(async (section) => [section.name, await section.status(id, visible)] as const)));
    return {
      id,
      type: provider.type,
      models: { status: listing?.status ?? 'ok', count: listing?.models.length ?? 0, ...(listing?.error ? { error: listing.error } : {}) },
      deployments: deploymentsOf(id, visible),
      ...sections,
    };
  };
  /** A caller whose key may use only some models sees the providers of those it may use (listed, or served before). */
  const providerVisible = (id: string, visible: ((model: string) => boolean) | undefined) =>
    !visible ||
    runtime.catalog.status().some((l) => l.provider === id && l.models.some((m) => visible(`${id}/${m.id}`))) ||
    deploymentsOf(id, visible).length > 0;

  router.get(KERNEL_PATHS.providers, guard(async (koa) => {
    const visible = visibleTo(koa);
    const providers = runtime.registry.all().filter((p) => providerVisible(p.id, visible));
    koa.body = { object: 'list', data: await Promise.all(providers.map((p) => describe(p.id, visible))) };
  }));

  router.get(KERNEL_PATHS.providerHealth, guard(async (koa) => {
    const id = koa.params.id as string;
    const visible = visibleTo(koa);
    if (!runtime.registry.has(id) || !providerVisible(id, visible)) throw notFound(`No provider '${id}' is configured.`, 'provider_not_found', 'id');
    koa.body = await describe(id, visible);
  }));
}
