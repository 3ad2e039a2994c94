/**
 * Usage as the gateway reads it, OpenAI's shape, from hosts that say part of it in their own words.
 * The upstream's own text, where it is passed on, is not changed.
 * - DeepSeek reports its cache reads as `prompt_cache_hit_tokens`, a part of `prompt_tokens`
 *   (https://api-docs.deepseek.com/guides/kv_cache), not as `prompt_tokens_details.cached_tokens`.
 *   Filled in where OpenAI's field is absent, so that cost, budgets, the usage log, metrics and
 *   answers translated for other APIs all read the one field.
 * - OpenRouter states what each answer cost, in credits (USD): `usage.cost`, and for a request on
 *   the user's own provider key (`is_byok`) the provider's charge apart,
 *   `cost_details.upstream_inference_cost` (https://openrouter.ai/docs/use-cases/usage-accounting).
 *   From a host whose rules say it states its cost, the sum is kept on the usage (`withStatedCost`,
 *   out of every client's sight), and plugins/cost bills it in place of its price table. Never read
 *   from other hosts: `cost` is no standard field, and what it means is the host's.
 */
import { pricedServiceTier, type Usage } from 'llm-gateway/plugin';
import { withStatedCost } from 'llm-gateway/provider-kit';

/** What a host says in its usage beyond OpenAI's fields. */
export interface HostRules {
  /** Whether `usage.cost` is the answer's cost in USD, as OpenRouter's is. */
  readonly statedCost: boolean;
}

export const PLAIN_HOST: HostRules = { statedCost: false };

/** Whether a base URL is OpenRouter's, whose answers state their cost. */
export function isOpenRouter(baseURL: string): boolean {
  const host = new URL(baseURL).hostname.toLowerCase();
  return host === 'openrouter.ai' || host.endsWith('.openrouter.ai');
}

export function readHostUsage(usage: { [field: string]: unknown } | null | undefined, rules: HostRules = PLAIN_HOST): void {
  if (typeof usage !== 'object' || usage === null) return;
  if (rules.statedCost) keepStatedCost(usage);
  const hits = usage.prompt_cache_hit_tokens;
  const details = usage.prompt_tokens_details as Usage['prompt_tokens_details'];
  if (typeof hits !== 'number' || details?.cached_tokens !== undefined) return;
  usage.prompt_tokens_details = { ...details, cached_tokens: hits };
}

function keepStatedCost(usage: { [field: string]: unknown }): void {
  const cost = amount(usage.cost);
  if (cost === undefined) return;
  const upstream = usage.is_byok === true ? amount((usage.cost_details as { upstream_inference_cost?: unknown } | undefined)?.upstream_inference_cost) : undefined;
  withStatedCost(usage, cost + (upstream ?? 0));
}

/** A sane amount of USD: a finite number, not below zero. */
function amount(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/**
 * The processing tier that served an answer (OpenAI's `service_tier`, on the completion and each
 * chunk), kept in its usage: flex and priority are billed at rates of their own (plugins/cost).
 */
export function carryServiceTier(usage: Usage | null | undefined, serviceTier: unknown): void {
  const tier = pricedServiceTier(serviceTier);
  if (typeof usage === 'object' && usage !== null && tier) usage.service_tier = tier;
}
