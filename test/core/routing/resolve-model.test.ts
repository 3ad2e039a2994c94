import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../core/config/resolve-config.js';
import { silentLogger } from '../../../core/logger.js';
import { ModelCatalog } from '../../../core/providers/catalog.js';
import { ProviderRegistry } from '../../../core/providers/registry.js';
import { createEventBus } from '../../../core/events.js';
import { ModelResolver } from '../../../core/routing/resolve-model.js';
import { builtinPlugins } from '../../../index.js';

async function resolverFor(config: Parameters<typeof resolveConfig>[0]) {
  const resolved = await resolveConfig(config);
  const registry = ProviderRegistry.create(ProviderRegistry.collectTypes(builtinPlugins().map((p) => ({ plugin: p.name, types: p.providerTypes ?? [] }))), resolved.providers, silentLogger);
  const catalog = new ModelCatalog(registry, resolved, createEventBus(silentLogger), silentLogger);
  return { resolver: new ModelResolver(resolved.models, registry, catalog), catalog, registry };
}

const providers = {
  groq: { type: 'openai-compatible', baseURL: 'http://127.0.0.1:1/v1', listModels: false, models: ['llama-3.3-70b', 'shared'] },
  openrouter: { type: 'openai-compatible', baseURL: 'http://127.0.0.1:1/v1', listModels: false, models: ['shared'] },
};

describe('ModelResolver', () => {
  it.each([
    ['groq/llama-3.3-70b', [{ provider: 'groq', model: 'llama-3.3-70b' }], 'direct'],
    ['openrouter/meta-llama/llama-3.3-70b-instruct', [{ provider: 'openrouter', model: 'meta-llama/llama-3.3-70b-instruct' }], 'direct'],
    ['llama-3.3-70b', [{ provider: 'groq', model: 'llama-3.3-70b' }], 'catalog'],
    ['shared', [{ provider: 'groq', model: 'shared' }, { provider: 'openrouter', model: 'shared' }], 'catalog'],
  ])('%s → %j (%s)', async (model, targets, reason) => {
    const { resolver } = await resolverFor({ providers });
    expect(resolver.resolve(model)).toEqual({ requestedModel: model, targets, reason });
  });

  it('gives a `provider/model` the same targets from one request to the next, and remembers a bounded number of names', async () => {
    const { resolver } = await resolverFor({ providers });
    const first = resolver.resolve('groq/llama-3.3-70b').targets;
    expect(resolver.resolve('groq/llama-3.3-70b').targets).toBe(first);
    for (let i = 0; i < 5000; i++) resolver.resolve(`groq/client-named-${i}`);
    expect((resolver as unknown as { direct: Map<string, unknown> }).direct.size).toBeLessThanOrEqual(1000);
    expect(resolver.resolve('groq/client-named-4999').targets).toEqual([{ provider: 'groq', model: 'client-named-4999' }]);
  });

  it('resolves a virtual model to its targets, with their parameters', async () => {
    const { resolver } = await resolverFor({
      providers,
      models: { coding: { targets: ['groq/llama-3.3-70b', { model: 'openrouter/x', params: { temperature: 0 }, tier: 'paid' }] } },
    });
    const route = resolver.resolve('coding');
    expect(route).toMatchObject({ requestedModel: 'coding', virtualModel: 'coding', reason: 'virtual-model' });
    expect(route.targets).toEqual([
      { provider: 'groq', model: 'llama-3.3-70b', weight: 1, priority: 0 },
      { provider: 'openrouter', model: 'x', weight: 1, priority: 0, tier: 'paid', params: { temperature: 0 } },
    ]);
  });

  it.each([
    ['nope/gpt-4o', /no provider 'nope' is configured \(configured providers: groq, openrouter\)/],
    ['gpt-4o', /name it as 'provider\/model' \(configured providers: groq, openrouter\)/],
    ['groq/', /does not exist/],
  ])('refuses %s with a 404 that says what is configured', async (model, message) => {
    const { resolver } = await resolverFor({ providers });
    expect(() => resolver.resolve(model)).toThrow(message);
    try {
      resolver.resolve(model);
    } catch (error) {
      expect(error).toMatchObject({ status: 404, code: 'model_not_found', param: 'model' });
    }
  });

  it('lists every model a client may name, as GET /v1/models does: provider models, then virtual ones', async () => {
    const { resolver } = await resolverFor({ providers, models: { coding: { targets: ['groq/llama-3.3-70b'] } } });
    expect(resolver.list().map((m) => [m.id, m.owned_by])).toEqual([
      ['groq/llama-3.3-70b', 'groq'],
      ['groq/shared', 'groq'],
      ['openrouter/shared', 'openrouter'],
      ['coding', 'llm-gateway'],
    ]);
  });
});
