/**
 * The model catalog: every enabled provider's models, fetched in the background at start and
 * refreshed periodically, namespaced `provider/model`, plus the virtual models of the config.
 * Requests never wait for it: a model missing from a stale list is still forwarded when named
 * `provider/model`.
 */
import type { ResolvedConfig, ResolvedVirtualModel } from '../config/resolve-config.js';
import type { ProviderEntries } from './registry.js';
import { GatewayError, isGatewayError } from '../errors.js';
import type { EventBus } from '../events.js';
import type { Logger } from '../logger.js';
import { maskUrlPasswords } from '../mask-urls.js';
import { thrownMessage } from '../thrown.js';
import type { ModelObject } from '../protocol/openai.js';
import type { ProviderModel } from './provider.js';
import type { ProviderRegistry } from './registry.js';

export type ListingStatus = 'pending' | 'ok' | 'error';

export interface ProviderListing {
  readonly provider: string;
  status: ListingStatus;
  models: readonly ProviderModel[];
  refreshedAt?: number;
  error?: string;
}

/** What the catalog reads of the config: the providers, and how to list their models. */
export interface CatalogConfig {
  readonly providers: ProviderEntries;
  readonly catalog: ResolvedConfig['catalog'];
}

/** How soon a provider whose listing never succeeded is listed again (at most `refreshIntervalMs`). */
const RETRY_MS = 30_000;

/** A listing on its way; `owner` is the catalog it answers to, the next one once handed over. */
interface Flight {
  readonly controller: AbortController;
  owner: ModelCatalog;
  done?: Promise<void>;
}

export class ModelCatalog {
  private readonly listings = new Map<string, ProviderListing>();
  /** Bare model id → providers that list it, in config order (for un-namespaced requests). */
  private byBareId = new Map<string, string[]>();
  private timer: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  /**
   * When the next periodic refresh and the next retry of failed listings are due (`Date.now()`, 0:
   * none), carried to the catalog that replaces this one: restarted with each live change instead,
   * a script changing things more often than they are due kept them from ever coming.
   */
  private due = { refresh: 0, retry: 0 };
  /** Provider id → its listing on its way: one at a time, so a refresh while one is out joins it. */
  private readonly inflight = new Map<string, Flight>();

  /** `previous`: the catalog this one replaces (a live config change); its listings of providers kept as they were carry over. */
  constructor(
    private readonly registry: ProviderRegistry,
    private readonly config: CatalogConfig,
    private readonly events: EventBus,
    private readonly logger: Logger,
    previous?: ModelCatalog,
  ) {
    if (previous) this.due = { ...previous.due };
    for (const { id, options } of config.providers) {
      const carried = previous?.registry.get(id) === registry.get(id) ? previous?.listings.get(id) : undefined;
      const configured = (options.models ?? []).map((model) => ({ id: model }));
      const canList = typeof registry.get(id)?.listModels === 'function';
      this.listings.set(id, carried ?? { provider: id, status: canList ? 'pending' : 'ok', models: configured });
    }
    this.reindex();
  }

  /** Lists the providers not listed yet (new in a live change), without waiting. */
  refreshPending(): void {
    for (const listing of this.listings.values()) if (listing.status === 'pending') void this.refresh(listing.provider);
  }

  /**
   * Starts background listing; resolves immediately. `fresh: false` (a catalog replacing another in
   * a live change) lists only the providers it has no listing of yet.
   */
  start(fresh = true): void {
    if (fresh) void this.refreshAll();
    else this.refreshPending();
    if (fresh || this.due.refresh === 0) this.due.refresh = Date.now() + this.config.catalog.refreshIntervalMs;
    this.refreshWhenDue();
    this.retrySoon();
  }

  /**
   * Stops refreshing and aborts the listings on their way, except, when a live change replaces this
   * catalog, those of providers it kept (the same listing): they carry on for `successor`. Aborting
   * them would leave it nothing to list with, and a script making changes faster than a provider
   * lists its models would keep that provider unlisted.
   */
  stop(successor?: ModelCatalog): void {
    clearTimeout(this.timer);
    clearTimeout(this.retry);
    this.timer = this.retry = undefined;
    for (const [id, flight] of this.inflight) {
      if (successor && successor.listings.get(id) === this.listings.get(id) && !successor.inflight.has(id)) {
        flight.owner = successor;
        successor.inflight.set(id, flight);
      } else {
        flight.controller.abort(new Error(successor ? 'the provider was removed or changed' : 'gateway closing'));
      }
    }
    this.inflight.clear();
  }

  /** True once every provider has answered its first listing, well or badly. */
  isSettled(): boolean {
    for (const listing of this.listings.values()) if (listing.status === 'pending') return false;
    return true;
  }

  status(): ProviderListing[] {
    return [...this.listings.values()];
  }

  /** Providers (config order) that list this bare model id. */
  providersOf(model: string): readonly string[] {
    return this.byBareId.get(model) ?? [];
  }

  /** The OpenAI `/v1/models` data: provider models namespaced, then virtual models. */
  list(virtualModels: ReadonlyMap<string, ResolvedVirtualModel>): ModelObject[] {
    const data: ModelObject[] = [];
    for (const listing of this.listings.values()) {
      for (const model of listing.models) {
        data.push({ id: `${listing.provider}/${model.id}`, object: 'model', created: model.created ?? 0, owned_by: model.ownedBy ?? listing.provider });
      }
    }
    for (const model of virtualModels.values()) {
      data.push({
        id: model.name,
        object: 'model',
        created: 0,
        owned_by: 'llm-gateway',
        gateway: { virtual: true, strategy: model.strategy, targets: model.targets.map((t) => `${t.provider}/${t.model}`) },
      });
    }
    return data;
  }

  async refreshAll(): Promise<void> {
    await Promise.allSettled(this.registry.all().filter((p) => p.listModels).map((p) => this.refresh(p.id)));
  }

  /** Lists one provider's models; a listing of it already on its way answers instead. */
  refresh(providerId: string): Promise<void> {
    const provider = this.registry.get(providerId);
    const listing = this.listings.get(providerId);
    if (!provider?.listModels || !listing) return Promise.resolve();
    const running = this.inflight.get(providerId);
    if (running) return running.done ?? Promise.resolve();
    // In the map before it starts: a listModels that throws at once still finds itself to remove.
    const flight: Flight = { controller: new AbortController(), owner: this };
    this.inflight.set(providerId, flight);
    flight.done = this.fetchListing(providerId, provider.listModels.bind(provider), listing, flight);
    return flight.done;
  }

  private async fetchListing(providerId: string, listModels: (signal: AbortSignal) => Promise<ProviderModel[]>, listing: ProviderListing, flight: Flight): Promise<void> {
    const { controller } = flight;
    const timeout = setTimeout(() => controller.abort(new GatewayError('upstream_timeout', `${providerId}: listing models took longer than ${this.config.catalog.timeoutMs} ms`, { provider: providerId })), this.config.catalog.timeoutMs);
    try {
      // Race the signal too: a provider that ignores it must not leave the listing pending forever.
      const listed = await Promise.race([listModels(controller.signal), rejectOnAbort(controller.signal)]);
      // The same provider instance in every catalog it was handed to: the same configured models.
      const configured = (this.config.providers.find((p) => p.id === providerId)?.options.models ?? []).map((id) => ({ id }));
      listing.models = dedupe([...listed, ...configured]);
      listing.status = 'ok';
      listing.refreshedAt = Date.now();
      delete listing.error;
      // Both: requests that started with the replaced catalog may still be reading it.
      this.reindex();
      if (flight.owner !== this) flight.owner.reindex();
      this.events.emit('provider:models', providerId, listing.models);
    } catch (cause) {
      const error = isGatewayError(cause) ? cause : new GatewayError('upstream', `${providerId}: listing models failed: ${thrownMessage(cause)}`, { provider: providerId, cause });
      // Keep the last good list: a provider briefly down still has the models it had.
      listing.status = listing.refreshedAt ? 'ok' : 'error';
      // Shown on the public /ready: an adapter's own error (hosts, a URL's password) goes to the log only.
      listing.error = isGatewayError(cause) ? maskUrlPasswords(error.message) : `${providerId}: listing models failed (the log says why)`;
      this.logger.warn('model listing failed', { provider: providerId, error: maskUrlPasswords(error.message) });
      this.events.emit('provider:models', providerId, listing.models, error);
      if (listing.status === 'error') flight.owner.retrySoon();
    } finally {
      clearTimeout(timeout);
      if (flight.owner.inflight.get(providerId) === flight) flight.owner.inflight.delete(providerId);
    }
  }

  /**
   * A provider that has never listed (down at start) is listed again soon rather than at the next
   * periodic refresh; one timer for all of them, only while started, cleared by stop().
   */
  private retrySoon(): void {
    if (!this.timer || this.retry || ![...this.listings.values()].some((l) => l.status === 'error')) return;
    if (this.due.retry === 0) this.due.retry = Date.now() + Math.min(RETRY_MS, this.config.catalog.refreshIntervalMs);
    this.retry = setTimeout(() => {
      this.retry = undefined;
      this.due.retry = 0;
      for (const listing of this.listings.values()) if (listing.status === 'error') void this.refresh(listing.provider);
    }, Math.max(0, this.due.retry - Date.now()));
    this.retry.unref();
  }

  /** The periodic refresh, at `due.refresh`, then every `refreshIntervalMs`. */
  private refreshWhenDue(): void {
    this.timer = setTimeout(() => {
      this.due.refresh = Date.now() + this.config.catalog.refreshIntervalMs;
      void this.refreshAll();
      this.refreshWhenDue();
    }, Math.max(0, this.due.refresh - Date.now()));
    this.timer.unref();
  }

  private reindex(): void {
    const index = new Map<string, string[]>();
    for (const listing of this.listings.values()) {
      for (const model of listing.models) {
        const owners = index.get(model.id);
        if (owners) owners.push(listing.provider);
        else index.set(model.id, [listing.provider]);
      }
    }
    this.byBareId = index;
  }
}

function rejectOnAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason), { once: true }));
}

function dedupe(models: ProviderModel[]): ProviderModel[] {
  const seen = new Map<string, ProviderModel>();
  for (const model of models) if (!seen.has(model.id)) seen.set(model.id, model);
  return [...seen.values()];
}
