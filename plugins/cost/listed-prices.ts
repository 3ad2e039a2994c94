/**
 * What a host's model list says each model costs (OpenRouter's list: `ProviderModel.price`), by
 * provider, for the models the price table does not know: so that a budget reserves what such a
 * request may cost rather than $0, and an answer the host stated no cost for (a stream cut before
 * its last event) is still billed. The table and the operator's overrides come first.
 *
 * Each listing replaces its provider's prices whole, and holds only while the provider that listed
 * them serves that id: a live change that points the id elsewhere, or takes it away, forgets them
 * (`follow`). The names come from the operator's own upstreams, not from clients, and a provider's
 * list is kept to its first MAX_LISTED models.
 */
import type { ProviderModel } from 'llm-gateway/plugin';
import type { ModelPrice } from './prices.js';

const MAX_LISTED = 20_000;

export class ListedPrices {
  /** By provider id: the prices, by lower-cased model id, and the provider instance that listed them. */
  private readonly byProvider = new Map<string, { readonly source: object | undefined; readonly prices: ReadonlyMap<string, ModelPrice> }>();
  /** Moves on every change, so that a price book's remembered answers can be let go. */
  version = 0;

  /** A provider's listing, which replaces what it listed before; `source`: the provider that listed it. */
  learn(provider: string, models: readonly ProviderModel[], source: object | undefined): void {
    const prices = new Map<string, ModelPrice>();
    for (const model of models) {
      if (prices.size >= MAX_LISTED) break;
      if (model.price) prices.set(model.id.toLowerCase(), { ...model.price });
    }
    if (prices.size === 0 && !this.byProvider.has(provider)) return;
    if (prices.size === 0) this.byProvider.delete(provider);
    else this.byProvider.set(provider, { source, prices });
    this.version++;
  }

  /** Forgets what a provider listed that `current(id)` no longer serves: the id was taken away or given to another host. */
  follow(current: (provider: string) => object | undefined): void {
    for (const [provider, { source }] of this.byProvider) {
      if (current(provider) === source) continue;
      this.byProvider.delete(provider);
      this.version++;
    }
  }

  /**
   * The listed price of `model` (the host's id, as the target names it) at `provider`: as written,
   * whatever its case, else without a variant suffix the list has no entry of (OpenRouter's
   * `:nitro` or `:floor` route the listed model to its fastest or cheapest provider).
   */
  lookup(provider: string, model: string): ModelPrice | undefined {
    const prices = this.byProvider.get(provider)?.prices;
    if (prices === undefined) return undefined;
    const id = model.toLowerCase();
    const variant = id.lastIndexOf(':');
    return prices.get(id) ?? (variant > 0 ? prices.get(id.slice(0, variant)) : undefined);
  }
}
