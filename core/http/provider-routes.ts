/**
 * `GET /v1/providers` and `GET /v1/providers/:id/health`: what the gateway knows about each
 * provider (type, model listing, per-deployment health) plus the sections plugins contribute
 * (the circuit breaker's states, rate-limit headroom), for dashboards and operators.
 */
import type Router from '@koa/router';
import { notFound } from '../errors.js';
import type { HealthTracker } from '../health.js';
import type { ProviderStatusSection } from '../plugin.js';
import type { ModelCatalog } from '../providers/catalog.js';
import type { ProviderRegistry } from '../providers/registry.js';

export function addProviderRoutes(router: Router, deps: { providers: ProviderRegistry; catalog: ModelCatalog; health: HealthTracker; sections: readonly ProviderStatusSection[] }): void {
  // Sections may read shared state (Redis), hence asynchronous.
  const describe = async (id: string) => {
    const provider = deps.providers.get(id)!;
    const listing = deps.catalog.status().find((l) => l.provider === id);
    const sections = Object.fromEntries(await Promise.all(deps.sections.map(async (section) => [section.name, await section.status(id)] as const)));
    return {
      id,
      type: provider.type,
      models: { status: listing?.status ?? 'ok', count: listing?.models.length ?? 0, ...(listing?.error ? { error: listing.error } : {}) },
      deployments: deps.health.all().filter((h) => h.provider === id),
      ...sections,
    };
  };

  router.get('/v1/providers', async (koa) => {
    koa.body = { object: 'list', data: await Promise.all(deps.providers.all().map((p) => describe(p.id))) };
  });

  router.get('/v1/providers/:id/health', async (koa) => {
    const id = koa.params.id as string;
    if (!deps.providers.has(id)) throw notFound(`No provider '${id}' is configured.`, 'provider_not_found', 'id');
    koa.body = await describe(id);
  });
}
