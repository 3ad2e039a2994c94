import { afterEach, describe, expect, it, vi } from 'vitest';
import { resolveConfig } from '../../../core/config/resolve-config.js';
import { GatewayError } from '../../../core/errors.js';
import { createEventBus } from '../../../core/events.js';
import { silentLogger } from '../../../core/logger.js';
import { ModelCatalog } from '../../../core/providers/catalog.js';
import { defineProviderType, type ProviderModel } from '../../../core/providers/provider.js';
import { ProviderRegistry } from '../../../core/providers/registry.js';

/** A provider type whose listing the test controls. */
function scriptedType(listings: Map<string, () => Promise<ProviderModel[]>>) {
  return defineProviderType({
    type: 'scripted',
    schema: { type: 'object', properties: { lists: { type: 'boolean', default: true } } },
    create: (options: { type: string; lists?: boolean }, { id }) => ({
      id,
      type: 'scripted',
      chatCompletions: () => Promise.reject(new Error('unused')),
      ...(options.lists !== false ? { listModels: (signal: AbortSignal) => (listings.get(id) ?? (() => Promise.resolve([])))().then((m) => (signal.aborted ? Promise.reject(signal.reason) : m)) } : {}),
    }),
  });
}

async function catalogFor(listings: Map<string, () => Promise<ProviderModel[]>>, extra: Record<string, unknown> = {}) {
  const config = await resolveConfig({
    providers: {
      a: { type: 'scripted', models: ['configured-a'] },
      b: { type: 'scripted' },
      fixed: { type: 'scripted', lists: false, models: ['only-this'] },
    },
    models: { stack: { targets: ['a/x', 'b/y'] } },
    catalog: { refreshIntervalMs: 60_000, timeoutMs: 1000 },
    ...extra,
  });
  const registry = ProviderRegistry.create(new Map([['scripted', scriptedType(listings) as never]]), config.providers, silentLogger);
  const events = createEventBus(silentLogger);
  const refreshed: Array<[string, number, string | undefined]> = [];
  events.on('provider:models', (provider, models, error) => void refreshed.push([provider, models.length, error?.message]));
  return { catalog: new ModelCatalog(registry, config, events, silentLogger), config, refreshed };
}

afterEach(() => void vi.useRealTimers());

describe('ModelCatalog', () => {
  it('starts with configured models, settles once every provider answered, lists namespaced ids and virtual models', async () => {
    let resolveB!: (m: ProviderModel[]) => void;
    const listings = new Map<string, () => Promise<ProviderModel[]>>([
      ['a', () => Promise.resolve([{ id: 'listed-a', created: 5, ownedBy: 'acme' }])],
      ['b', () => new Promise<ProviderModel[]>((r) => (resolveB = r))],
    ]);
    const { catalog, config, refreshed } = await catalogFor(listings);
    expect(catalog.isSettled()).toBe(false);
    expect(catalog.list(config.models).map((m) => m.id)).toEqual(['a/configured-a', 'fixed/only-this', 'stack']);
    catalog.start();
    await vi.waitFor(() => expect(refreshed.map((r) => r[0])).toContain('a'));
    expect(catalog.isSettled()).toBe(false);
    resolveB([{ id: 'listed-b' }]);
    await vi.waitFor(() => expect(catalog.isSettled()).toBe(true));
    catalog.stop();
    const list = catalog.list(config.models);
    expect(list.map((m) => m.id)).toEqual(['a/listed-a', 'a/configured-a', 'b/listed-b', 'fixed/only-this', 'stack']);
    expect(list[0]).toEqual({ id: 'a/listed-a', object: 'model', created: 5, owned_by: 'acme' });
    expect(list.at(-1)).toMatchObject({ owned_by: 'llm-gateway', gateway: { virtual: true, targets: ['a/x', 'b/y'] } });
    expect(catalog.providersOf('listed-b')).toEqual(['b']);
  });

  it('keeps the last good list when a refresh fails, and reports the failure', async () => {
    let fail = false;
    const listings = new Map([['a', () => (fail ? Promise.reject(new Error('503 from upstream')) : Promise.resolve([{ id: 'm1' }]))]]);
    const { catalog, refreshed } = await catalogFor(listings);
    await catalog.refresh('a');
    fail = true;
    await catalog.refresh('a');
    const a = catalog.status().find((l) => l.provider === 'a')!;
    expect(a.status).toBe('ok');
    expect(a.models.map((m) => m.id)).toEqual(['m1', 'configured-a']);
    // An adapter's own error may name hosts or hold a URL's password, and the status is shown on
    // the public /ready: the status says only that it failed; the log and the event say why.
    expect(a.error).toBe('a: listing models failed (the log says why)');
    expect(refreshed.at(-1)).toEqual(['a', 2, 'a: listing models failed: 503 from upstream']);
  });

  it('marks a provider whose first listing fails as error (still settled)', async () => {
    const listings = new Map([['b', () => Promise.reject(new GatewayError('upstream', 'b: down', { provider: 'b' }))]]);
    const { catalog } = await catalogFor(listings);
    await catalog.refreshAll();
    expect(catalog.status().find((l) => l.provider === 'b')).toMatchObject({ status: 'error', error: 'b: down' });
    expect(catalog.isSettled()).toBe(true);
  });

  it('gives up a listing that takes longer than timeoutMs', async () => {
    vi.useFakeTimers();
    const listings = new Map([['a', () => new Promise<ProviderModel[]>(() => undefined)]]);
    const { catalog } = await catalogFor(listings);
    const refresh = catalog.refresh('a');
    await vi.advanceTimersByTimeAsync(1001);
    await refresh;
    expect(catalog.status().find((l) => l.provider === 'a')?.error).toMatch(/listing models took longer than 1000 ms/);
  });

  it('refreshes periodically', async () => {
    vi.useFakeTimers();
    let calls = 0;
    const listings = new Map([['a', () => Promise.resolve([{ id: `m${++calls}` }])]]);
    const { catalog } = await catalogFor(listings);
    catalog.start();
    await vi.advanceTimersByTimeAsync(10);
    expect(calls).toBe(1);
    await vi.advanceTimersByTimeAsync(60_000);
    expect(calls).toBe(2);
    catalog.stop();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(calls).toBe(2);
  });
});
