/**
 * OpenAI's processing tiers priced apart from standard (`service_tier` on a request and on its
 * answer): flex at Batch rates, priority at its own. Carried in an answer's usage by the adapters
 * that read it, priced by gateway:cost; `auto`, `default` and anything else cost standard rates.
 */
export type PricedServiceTier = 'flex' | 'priority';

/** `value` when it names a tier priced apart; undefined otherwise. */
export function pricedServiceTier(value: unknown): PricedServiceTier | undefined {
  return value === 'flex' || value === 'priority' ? value : undefined;
}
