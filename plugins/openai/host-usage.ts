/**
 * Usage as the gateway reads it, OpenAI's shape, from hosts that say part of it in their own words.
 * DeepSeek reports its cache reads as `prompt_cache_hit_tokens`, a part of `prompt_tokens`
 * (https://api-docs.deepseek.com/guides/kv_cache), not as `prompt_tokens_details.cached_tokens`.
 * Filled in where OpenAI's field is absent, so that cost, budgets, the usage log, metrics and
 * answers translated for other APIs all read the one field. The upstream's own text, where it is
 * passed on, is not changed.
 */
import type { Usage } from 'llm-gateway/plugin';

export function readHostUsage(usage: Usage | null | undefined): void {
  if (typeof usage !== 'object' || usage === null) return;
  const hits = usage.prompt_cache_hit_tokens;
  if (typeof hits !== 'number' || usage.prompt_tokens_details?.cached_tokens !== undefined) return;
  usage.prompt_tokens_details = { ...usage.prompt_tokens_details, cached_tokens: hits };
}

/**
 * The processing tier that served an answer (OpenAI's `service_tier`, on the completion and each
 * chunk), kept in its usage: flex and priority are billed at rates of their own (plugins/cost).
 */
export function carryServiceTier(usage: Usage | null | undefined, serviceTier: unknown): void {
  if (typeof usage === 'object' && usage !== null && (serviceTier === 'flex' || serviceTier === 'priority')) usage.service_tier = serviceTier;
}
