/**
 * The part of the config that may change while the gateway runs: providers and virtual models.
 *
 * One snapshot (provider registry, model catalog, model resolver) serves requests. A change builds
 * the next snapshot beside it, keeping every provider instance whose options did not change (its
 * connection pool and model listing), and swaps it in with one assignment: a request sees the old
 * snapshot or the new one, never a mix. Providers the change dropped are closed once the requests
 * that may still use them had time to finish.
 */
import type { ResolvedConfig, ResolvedVirtualModel } from '../config/resolve-config.js';
import type { ResolvedProviders } from '../config/resolve-providers.js';
import type { RouteDecision } from '../context.js';
import type { EventBus } from '../events.js';
import type { Logger } from '../logger.js';
import { ModelCatalog } from '../providers/catalog.js';
import type { ProviderType } from '../providers/provider.js';
import { ProviderRegistry } from '../providers/registry.js';
import { ModelResolver, type ModelLookup } from '../routing/resolve-model.js';

interface Snapshot extends ResolvedProviders {
  readonly registry: ProviderRegistry;
  readonly catalog: ModelCatalog;
  readonly resolver: ModelResolver;
}

export interface RuntimeOptions {
  types: ReadonlyMap<string, ProviderType<never>>;
  catalog: ResolvedConfig['catalog'];
  events: EventBus;
  logger: Logger;
  /** Provider options plugins declared (`limits`), with their schemas; the provider types do not check them. */
  extraProviderOptions: ReadonlyMap<string, object>;
  /** How long a dropped provider stays open for requests that started with it. Default 10 minutes. */
  drainMs?: number;
}

export class ProviderRuntime {
  private current: Snapshot;
  private started = false;
  private readonly draining = new Set<NodeJS.Timeout>();

  /** The resolver plugins hold (`host.models`): it always answers from the current snapshot. */
  readonly models: ModelLookup = {
    resolve: (model: string): RouteDecision => this.current.resolver.resolve(model),
    virtualModel: (name: string) => this.current.resolver.virtualModel(name),
    allVirtualModels: () => this.current.resolver.allVirtualModels(),
    list: () => this.current.resolver.list(),
    isConfigured: (target) => this.current.resolver.isConfigured(target),
  };

  constructor(
    initial: ResolvedProviders,
    private readonly options: RuntimeOptions,
  ) {
    const registry = ProviderRegistry.create(options.types, initial.providers, options.logger, options.extraProviderOptions);
    this.current = this.snapshot(initial, registry, undefined);
  }

  get registry(): ProviderRegistry {
    return this.current.registry;
  }

  get catalog(): ModelCatalog {
    return this.current.catalog;
  }

  /** The providers and virtual models now in force. */
  get providers(): ResolvedProviders['providers'] {
    return this.current.providers;
  }

  get virtualModels(): ReadonlyMap<string, ResolvedVirtualModel> {
    return this.current.models;
  }

  /**
   * Builds the next snapshot (throws a ConfigError, changing nothing, when an entry is invalid) and
   * swaps it in. Returns the providers it dropped, removed or rebuilt with other options (`config:change`'s `replaced`).
   */
  replace(next: ResolvedProviders): ReadonlySet<string> {
    const { registry, dropped } = this.current.registry.next(next.providers, this.options.logger, this.options.extraProviderOptions);
    const previous = this.current;
    this.current = this.snapshot(next, registry, previous.catalog);
    if (this.started) {
      // Listings of the providers kept carry on for the new catalog; the others are aborted.
      previous.catalog.stop(this.current.catalog);
      this.current.catalog.start(false);
    }
    if (dropped.length > 0) this.closeLater(dropped);
    return new Set(dropped.map((provider) => provider.id));
  }

  start(): void {
    this.started = true;
    this.current.catalog.start();
  }

  async close(): Promise<void> {
    this.current.catalog.stop();
    for (const timer of this.draining) timer.unref();
    await this.current.registry.closeAll();
  }

  private snapshot(resolved: ResolvedProviders, registry: ProviderRegistry, previousCatalog: ModelCatalog | undefined): Snapshot {
    const catalog = new ModelCatalog(registry, { providers: resolved.providers, catalog: this.options.catalog }, this.options.events, this.options.logger.child('catalog'), previousCatalog);
    return { ...resolved, registry, catalog, resolver: new ModelResolver(resolved.models, registry, catalog) };
  }

  private closeLater(providers: Array<{ id: string; close?(): unknown }>): void {
    const timer = setTimeout(() => {
      this.draining.delete(timer);
      for (const provider of providers) void Promise.resolve(provider.close?.()).catch((error: Error) => this.options.logger.warn('a dropped provider failed to close', { provider: provider.id, error: error.message }));
    }, this.options.drainMs ?? 600_000);
    timer.unref();
    this.draining.add(timer);
  }
}
