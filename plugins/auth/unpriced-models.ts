/**
 * A model without a price counts as $0 toward a key's budget (docs/keys-and-usage.md names it as
 * one of the ways past a budget). Said once per model when a request of a key with a budget was
 * served by one, so an operator learns of it from the log rather than from the bill. The models
 * said are remembered up to a bound: a model name can come from a client (`openai/<anything>`).
 */
import { LRUCache } from 'lru-cache';
import type { Logger } from 'llm-gateway/plugin';

const MAX_MODELS = 1_000;

export class UnpricedModels {
  private readonly said = new LRUCache<string, true>({ max: MAX_MODELS });

  constructor(private readonly logger: Logger) {}

  warnOnce(servedBy: { provider: string; model: string }, keyId: string): void {
    const model = `${servedBy.provider}/${servedBy.model}`;
    if (this.said.has(model)) return;
    this.said.set(model, true);
    this.logger.warn('a key with a budget was served by a model without a price: its requests count $0 toward the budget; add one with cost({ prices })', { model, keyId });
  }
}
