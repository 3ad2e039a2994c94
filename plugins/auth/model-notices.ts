/**
 * What an operator must learn from the log rather than from the bill, said once per model that a
 * request of a key with a budget was served by:
 * - a model without a price counts as $0 toward the budget (docs/keys-and-usage.md names it as one
 *   of the ways past a budget);
 * - an answer nobody measured (no usage from the provider, no gateway:token-counter) is charged its
 *   reservation, the most it could have cost.
 * The models said are remembered up to a bound: a model name can come from a client (`openai/<anything>`).
 */
import { LRUCache } from 'lru-cache';
import type { Logger } from 'llm-gateway/plugin';

const MAX_MODELS = 1_000;

export class ModelNotice {
  private readonly said = new LRUCache<string, true>({ max: MAX_MODELS });

  constructor(
    private readonly logger: Logger,
    private readonly message: string,
  ) {}

  sayOnce(servedBy: { provider: string; model: string }, keyId: string): void {
    const model = `${servedBy.provider}/${servedBy.model}`;
    if (this.said.has(model)) return;
    this.said.set(model, true);
    this.logger.warn(this.message, { model, keyId });
  }
}

export const UNPRICED = 'a key with a budget was served by a model without a price: its requests count $0 toward the budget; add one with cost({ prices })';
export const UNMEASURED =
  'a key with a budget was served an answer whose usage the provider did not report (a stream the client left before its end, or a host that never reports it): it is charged its reservation, the most it could have cost; add gateway:token-counter to count what was sent';
