/**
 * What a host's model list says each model costs (OpenRouter's list: `ProviderModel.price`), by
 * provider, for the models the price table does not know: so that a budget reserves what such a
 * request may cost rather than $0, and an answer the host stated no cost for (a stream cut before
 * its last event) is still billed. The table and the operator's overrides come first.
 *
 * Each listing replaces its provider's prices whole; a provider no longer configured is forgotten
 * (`keepOnly`). The names come from the operator's own upstreams, not from clients, and a
 * provider's list is kept to its first MAX_LISTED models.
 */
import type { ProviderModel } from 'llm-gateway/plugin';
import type { ModelPrice } from './prices.js';

const MAX_LISTED = 20_000;

export class ListedPrices {
  private readonly byProvider = new Map<string, ReadonlyMap<string, ModelPrice>>();
  /** Moves on every change, so that a price book's remembered answers can be let go. */
  version = 0;

  /** A provider's listing, which replaces what it listed before. */
  learn(provider: string, models: readonly ProviderModel[]): void {
    const prices = new Map<string, ModelPrice>();
    for (const model of models) {
      if (prices.size >= MAX_LISTED) break;
      if (model.price) prices.set(model.id, { ...model.price });
    }
    if (prices.size === 0 && !this.byProvider.has(provider)) return;
    if (prices.size === 0) this.byProvider.delete(provider);
    else this.byProvider.set(provider, prices);
    this.version++;
  }

  /** Forgets the providers not among `providers` (those a live change took away). */
  keepOnly(providers: readonly string[]): void {
    const kept = new Set(providers);
    for (const provider of this.byProvider.keys()) {
      if (kept.has(provider)) continue;
      this.byProvider.delete(provider);
      this.version++;
    }
  }

  /** The listed price of `model` (the host's own id, as the target names it) at `provider`. */
  lookup(provider: string, model: string): ModelPrice | undefined {
    return this.byProvider.get(provider)?.get(model);
  }
}
