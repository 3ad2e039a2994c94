/**
 * What a response cost, from its OpenAI-format usage and the model's price.
 *
 * The usage fields overlap, and each token must be billed exactly once:
 * - `prompt_tokens` INCLUDES `prompt_tokens_details.cached_tokens` (cache reads) and
 *   `prompt_tokens_details.cache_write_tokens` (our extension for Anthropic cache writes). So
 *   uncached input = prompt − cached − cache writes, at `input`; cache reads at `cachedInput` and
 *   cache writes at `cacheWrite`, each falling back to `input` when the model has no such price.
 *   Of the writes, `cache_write_1h_tokens` (Anthropic's 1-hour lifetime) are billed at
 *   `cacheWrite1h`, falling back to `cacheWrite`.
 * - `completion_tokens` INCLUDES `completion_tokens_details.reasoning_tokens`. All of it is billed
 *   at `output`; reasoning is never added on top. Only a model with its own `reasoning` rate bills
 *   that part differently.
 * - A tier applies when `prompt_tokens` (cached and written tokens included, as providers count
 *   prompt length) is above its `aboveInputTokens`; the highest such tier wins, for every token of
 *   the request.
 * - Server tools' runs billed apart from tokens (Anthropic's web searches, `server_tool_use`) at
 *   `webSearchPer1k`, on top of the tokens their results added.
 * Inconsistent usage (more cached tokens than prompt tokens) is clamped rather than billed negative.
 *
 * Arithmetic is exact: a price of $X per million tokens is X×10⁶ picodollars (10⁻¹² USD) per
 * token, an integer for any price with up to six decimals ($0.003625 → 3625 p$). Token counts times
 * those integers are summed as BigInt, and each amount is divided by 10¹² once at the end, which
 * IEEE 754 rounds correctly: the results are the doubles nearest the true decimal amounts, so
 * 1000 tokens at $0.15/M is exactly the number 0.00015, and the total is computed from the exact
 * sum rather than by adding rounded parts. (Exact up to 2⁵³ picodollars, about $9,000 for one
 * response; past that the conversion rounds at the 16th significant digit.)
 */
import { pricedServiceTier, type Usage } from 'llm-gateway/plugin';
import type { ModelPrice, Rates } from './prices.js';

export { createPriceBook, type PriceBook } from './price-book.js';
export type { ModelPrice, PriceTier, Rates } from './prices.js';

export interface CostBreakdown {
  inputUsd: number;
  cachedInputUsd: number;
  cacheWriteUsd: number;
  outputUsd: number;
  /** Server tools' runs billed apart from their tokens (web searches). */
  toolUseUsd: number;
  totalUsd: number;
}

const PICO_PER_USD = 1e12;

export function costOf(usage: Usage, price: ModelPrice): CostBreakdown {
  const prompt = count(usage.prompt_tokens);
  const cached = Math.min(count(usage.prompt_tokens_details?.cached_tokens), prompt);
  const written = Math.min(count(usage.prompt_tokens_details?.cache_write_tokens), prompt - cached);
  const writtenForAnHour = Math.min(count(usage.prompt_tokens_details?.cache_write_1h_tokens), written);
  const completion = count(usage.completion_tokens);
  const searches = count((usage.server_tool_use as { web_search_requests?: number } | undefined)?.web_search_requests);
  const reasoning = Math.min(count(usage.completion_tokens_details?.reasoning_tokens), completion);
  const rates = ratesAt(price, prompt, usage);

  const writes = cacheWriteRates(rates);
  // Picodollars a token: the price's six decimals make each a whole number.
  const perToken = {
    input: picosPerToken(rates.input),
    cachedInput: picosPerToken(rates.cachedInput ?? rates.input),
    writeMinutes: picosPerToken(writes.minutes),
    writeHour: picosPerToken(writes.hour),
    output: picosPerToken(rates.output),
    reasoning: picosPerToken(rates.reasoning ?? rates.output),
  };
  // $X per 1,000 searches is X×10⁹ picodollars a search.
  const perSearch = Math.round((rates.webSearchPer1k ?? 0) * 1e9) + 0;
  const noNegativePrice = perToken.input >= 0 && perToken.cachedInput >= 0 && perToken.writeMinutes >= 0 && perToken.writeHour >= 0 && perToken.output >= 0 && perToken.reasoning >= 0 && perSearch >= 0;
  const uncached = prompt - cached - written;
  const writtenForMinutes = written - writtenForAnHour;
  const answered = completion - reasoning;

  // In doubles, which are exact while every amount is a safe integer of picodollars (any response
  // of a sane size, at prices of zero or more): no BigInt made for every request.
  const input = uncached * perToken.input;
  const cachedInput = cached * perToken.cachedInput;
  const cacheWrite = writtenForMinutes * perToken.writeMinutes + writtenForAnHour * perToken.writeHour;
  const output = answered * perToken.output + reasoning * perToken.reasoning;
  const toolUse = searches * perSearch;
  const total = input + cachedInput + cacheWrite + output + toolUse;
  if (Number.isSafeInteger(total) && noNegativePrice) {
    return { inputUsd: usd(input), cachedInputUsd: usd(cachedInput), cacheWriteUsd: usd(cacheWrite), outputUsd: usd(output), toolUseUsd: usd(toolUse), totalUsd: usd(total) };
  }
  const big = (tokens: number, picos: number) => BigInt(tokens) * BigInt(picos);
  const bigInput = big(uncached, perToken.input);
  const bigCachedInput = big(cached, perToken.cachedInput);
  const bigCacheWrite = big(writtenForMinutes, perToken.writeMinutes) + big(writtenForAnHour, perToken.writeHour);
  const bigOutput = big(answered, perToken.output) + big(reasoning, perToken.reasoning);
  const bigToolUse = big(searches, perSearch);
  return {
    inputUsd: usd(bigInput),
    cachedInputUsd: usd(bigCachedInput),
    cacheWriteUsd: usd(bigCacheWrite),
    outputUsd: usd(bigOutput),
    toolUseUsd: usd(bigToolUse),
    totalUsd: usd(bigInput + bigCachedInput + bigCacheWrite + bigOutput + bigToolUse),
  };
}

/** What writing a prompt token to the cache costs, for the default lifetime and for an hour: `cacheWrite1h`, else `cacheWrite`, else `input`. */
export function cacheWriteRates(rates: Rates): { minutes: number; hour: number } {
  const minutes = rates.cacheWrite ?? rates.input;
  return { minutes, hour: rates.cacheWrite1h ?? minutes };
}

/** How an answer was served, in the words of its usage (or of the request, for a reservation). */
export interface ServedAs {
  /** OpenAI's processing tier: `flex` and `priority` have rates of their own. */
  readonly service_tier?: unknown;
  /** Anthropic's inference geography: `us` costs the price's `usInference` times. */
  readonly inference_geo?: unknown;
  /** A usage object is one as it is, whatever else it holds. */
  readonly [field: string]: unknown;
}

/**
 * The rates of a request: by its prompt length (`ratesFor`), by the processing tier that served it
 * where the price has one, and by where it ran.
 */
export function ratesAt(price: ModelPrice, promptTokens: number, served: ServedAs): Rates {
  const rates = ratesFor(price, promptTokens);
  const serviceTier = pricedServiceTier(served.service_tier);
  const tier = serviceTier ? price.serviceTiers?.[serviceTier] : undefined;
  const tiered = tier && rates === price ? { ...price, ...tier } : rates;
  return served.inference_geo === 'us' && price.usInference !== undefined ? multiplied(tiered, price.usInference) : tiered;
}

/** Every token rate times `factor`; a server tool's runs are priced per run, wherever it ran. */
function multiplied(rates: Rates, factor: number): Rates {
  const times = (rate: number | undefined) => (rate === undefined ? undefined : rate * factor);
  return {
    ...rates,
    input: rates.input * factor,
    output: rates.output * factor,
    cachedInput: times(rates.cachedInput),
    cacheWrite: times(rates.cacheWrite),
    cacheWrite1h: times(rates.cacheWrite1h),
    reasoning: times(rates.reasoning),
  };
}

/** The base rates, replaced by those of the highest tier the prompt length is above. */
export function ratesFor(price: ModelPrice, promptTokens: number): Rates {
  if (!price.tiers?.length) return price;
  const tier = [...(price.tiers ?? [])]
    .filter((candidate) => promptTokens > candidate.aboveInputTokens)
    .sort((a, b) => b.aboveInputTokens - a.aboveInputTokens)[0];
  if (!tier) return price;
  const { aboveInputTokens: _threshold, ...tierRates } = tier;
  return { ...price, ...tierRates };
}

/** A token count from usage: missing, negative or fractional values become a whole number ≥ 0. */
function count(value: number | undefined): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? Math.round(value) : 0;
}

/** A price per million tokens in USD as a whole number of picodollars per token ($0.003625 → 3625). */
function picosPerToken(usdPerMillion: number): number {
  // + 0 makes a price of -0 (which `minimum: 0` admits) +0, as BigInt(-0) is: no amount comes out -0.
  return Math.round(usdPerMillion * 1e6) + 0;
}

/** Picodollars as USD: one division, which IEEE 754 rounds to the double nearest the true amount. */
function usd(picodollars: number | bigint): number {
  return Number(picodollars) / PICO_PER_USD;
}
