/**
 * The shipped price table: USD per million tokens, standard (non-batch, non-priority) tier, global
 * processing. Read on 2026-11-23 through a search index of public pages; the index may hold a page
 * some weeks older than the live one, so treat every row as "last confirmed", and override
 * (createPriceBook) where your contract or a newer price differs. A model that could not be
 * sourced is left out: an unknown model costs `undefined`, never a guess.
 *
 * Sources, by provider (the provider's own page first; secondary sources were used only to
 * cross-check or where the provider's page was not in the index, and say so):
 *
 * - Anthropic: https://platform.claude.com/docs/en/about-claude/pricing (table "Model pricing":
 *   base input, 5m cache writes, cache hits, output) and the per-model pages
 *   https://platform.claude.com/docs/{lang}/models/{opus-5-5,opus-5,sonnet-5-5,sonnet-5,haiku-5-5,sonnet-4-5}/overview.
 *   cacheWrite is the 5-minute TTL price (the default, 1.25× input); cacheWrite1h, the 1-hour TTL's,
 *   is 2× input on every model (the page's prompt-caching multipliers; the page itself was not in
 *   the index for this, so as transcribed by tools that read it, synaps_cli's pricing module and
 *   claude-session-parser's ModelPricing, checked 2026-12-01). Sonnet 5.5 cache reads: the model page in the
 *   index still says $0.20; Anthropic cut them to $0.10 on 2026-10-07 (reported by two tools that
 *   re-read the pricing page: claudit v1.9.2, PromptFuel v1.0.23), so $0.10 is used.
 *   Haiku 5.5 is priced by prompt length (input + cache reads + cache writes) above 100k tokens,
 *   on every token of the request including output. US-only inference (`inference_geo: "us"`, Opus
 *   4.6 and every later model) at 1.1 times every token price: "A 1.1x pricing multiplier applies"
 *   (docs.aws.amazon.com/claude-platform/latest/userguide/data-residency.html), "1.1x for US-only
 *   inference on Opus 4.7, Opus 4.6, and newer models" (the pricing page as quoted by TokenMix,
 *   2026-04-30); the answer says where it ran (`usage.inference_geo`, Anthropic's data residency page).
 * - OpenAI: https://developers.openai.com/api/docs/pricing was NOT in the index. Rows are
 *   cross-checked between at least two transcriptions of it: GitHub's Copilot price table
 *   (github/docs data/tables/copilot/models-and-pricing.yml), pydantic/genai-prices
 *   (prices/providers/openai.yml, checked 2025-11-13), TokenMix (read 2026-06-04) and
 *   api-evangelist (read 2026-05-04). gpt-5.4 and gpt-5.5 cost more above 272K prompt tokens.
 *   Left out for conflicting sources: gpt-5.6-*, gpt-6-*. gpt-4o-2024-05-13 at its launch price
 *   ($5 / $15: OpenRouter's model page and lobe-chat's model bank, read 2026-12-07). The hosted web
 *   search tool: "$10 / 1k calls + search content tokens billed at model rates" (the pricing page as
 *   quoted on community.openai.com/t/1363698, read 2026-12-07). Flex processing (`service_tier:
 *   'flex'`) at Batch rates, half of standard (developers.openai.com/api/docs/guides/flex-processing);
 *   priority processing at the rates of openai.com/api-priority-processing (read 2026-12-07) for
 *   every model it lists; one it does not list (gpt-5.4-nano, gpt-5-nano) at standard rates.
 * - Google Gemini: https://ai.google.dev/gemini-api/docs/pricing was NOT in the index. 2.5 Pro
 *   input/output/cache and the >200k tier are quoted from that page in Google's forum
 *   (discuss.ai.google.dev/t/107349); 2.5 Flash and Flash-Lite input/output from DeployBase and
 *   MorphLLM (both citing the page), their cache reads as 10% of input, the 90% discount Google
 *   gives 2.5 models (matches the Pro figure). 3.1 Pro and 3.5 Flash from GitHub's Copilot table,
 *   cross-checked with MorphLLM.
 * - DeepSeek: https://api-docs.deepseek.com/quick_start/pricing (V4; cache-hit price cut to 1/10 on
 *   2026-04-26; V4 Pro at 1/4 of launch price). `deepseek-chat` / `deepseek-reasoner` are, per that
 *   page, the non-thinking / thinking modes of deepseek-v4-flash (deprecation announced for
 *   2026-07-24; kept for clients that still send them).
 * - Groq: https://groq.com/pricing (gpt-oss-120b, as quoted by TokenMix 2026-06-04 and Braintrust's
 *   proxy issues #479/#925 from Groq's pricing and models pages; the Llama rows are long-standing
 *   and agree across sources). Keyed `groq/...`: hosts of open-weight models charge differently.
 * - Mistral: https://mistral.ai/pricing was NOT in the index; rows agree between Puter (June 2026)
 *   and MarginDash (both citing Mistral's page). Keyed by dated API ids, since `-latest` aliases move.
 *
 * Not sourced well enough to ship: xAI Grok, Cerebras, Together, Fireworks, OpenRouter (which
 * states each answer's cost itself: plugins/openai/host-usage.ts), Azure (deployment names are user-chosen; bare OpenAI model names
 * match the OpenAI rows, which are Azure's global standard prices for these models).
 */

/** USD per million tokens. */
export interface Rates {
  input: number;
  output: number;
  /** Prompt tokens read from the provider's cache. Absent: billed at `input`. */
  cachedInput?: number;
  /** Prompt tokens written to the cache (Anthropic's 5-minute TTL price). Absent: billed at `input`. */
  cacheWrite?: number;
  /** Prompt tokens written to the cache for an hour (Anthropic's 1-hour TTL price). Absent: billed at `cacheWrite`, else `input`. */
  cacheWrite1h?: number;
  /** Reasoning tokens, for a model that prices them apart from the answer. Absent: billed at `output`. */
  reasoning?: number;
  /**
   * USD per 1,000 web searches a server tool ran (Anthropic's `usage.server_tool_use.web_search_requests`:
   * "$10 per 1,000 searches, plus standard token costs"). Absent: searches cost nothing beyond their tokens.
   */
  webSearchPer1k?: number;
}

/** Rates that replace the base ones when the prompt (cached and cache-write tokens included) exceeds `aboveInputTokens`. */
export interface PriceTier extends Partial<Rates> {
  aboveInputTokens: number;
}

export interface ModelPrice extends Rates {
  tiers?: readonly PriceTier[];
  /**
   * Rates for a processing tier the answer says served it (OpenAI's `service_tier`): `flex` at Batch
   * rates, `priority` at its own. They replace the standard rates below a long-context tier; above
   * one, the tier's rates apply (no flex or priority price is known there).
   */
  serviceTiers?: { readonly flex?: Partial<Rates>; readonly priority?: Partial<Rates> };
  /**
   * What every token rate is multiplied by when the answer says it ran only in the US (Anthropic's
   * `usage.inference_geo: "us"`). Absent: the model is priced alike wherever it ran.
   */
  usInference?: number;
}

export const PRICES_READ_ON = '2026-11-23';

/**
 * A Claude model. Anthropic bills a 1-hour cache write at twice the input price, on every model.
 * `usOnly`: the model runs with `inference_geo: "us"` (Opus 4.6 and every model after it), which
 * costs 1.1 times on every token price.
 */
const claude = (input: number, output: number, cachedInput: number, cacheWrite: number, usOnly?: 'us-only at 1.1x'): ModelPrice => ({
  input,
  output,
  cachedInput,
  cacheWrite,
  cacheWrite1h: input * 2,
  webSearchPer1k: 10,
  ...(usOnly && { usInference: 1.1 }),
});
const US = 'us-only at 1.1x';
const rates = (input: number, cachedInput: number | undefined, output: number): ModelPrice =>
  cachedInput === undefined ? { input, output } : { input, cachedInput, output };
/**
 * An OpenAI model: its standard rates, and its priority processing rates where OpenAI serves it so
 * (`priority`: input, cached input, output; a model without them is billed at standard rates).
 * OpenAI's hosted web search (Responses' `web_search_call` items) is $10 per 1,000 calls on every
 * model, on top of its tokens.
 */
const openai = (input: number, cachedInput: number | undefined, output: number, priority?: [input: number, cachedInput: number | undefined, output: number]): ModelPrice => ({
  ...rates(input, cachedInput, output),
  webSearchPer1k: 10,
  serviceTiers: {
    // Flex processing: "Tokens are priced at Batch API rates" (OpenAI's flex guide), half of standard.
    flex: rates(input / 2, cachedInput === undefined ? undefined : cachedInput / 2, output / 2),
    ...(priority && { priority: rates(...priority) }),
  },
});

/** Keys: a bare model id (any provider) or `provider/model` (that provider only). Dated ids match their base key. */
export const MODEL_PRICES: Readonly<Record<string, ModelPrice>> = {
  // Anthropic
  'claude-fable-5-1': claude(10, 50, 0.25, 12.5, US),
  'claude-opus-5-5': claude(4, 20, 0.2, 5, US),
  'claude-opus-5': claude(5, 25, 0.5, 6.25, US),
  'claude-opus-4-8': claude(5, 25, 0.5, 6.25, US),
  'claude-opus-4-7': claude(5, 25, 0.5, 6.25, US),
  'claude-opus-4-6': claude(5, 25, 0.5, 6.25, US),
  'claude-opus-4-5': claude(5, 25, 0.5, 6.25),
  'claude-opus-4-1': claude(15, 75, 1.5, 18.75),
  'claude-opus-4-0': claude(15, 75, 1.5, 18.75),
  'claude-opus-4': claude(15, 75, 1.5, 18.75),
  'claude-sonnet-5-5': claude(2, 10, 0.1, 2.5, US),
  'claude-sonnet-5': claude(2, 10, 0.2, 2.5, US),
  'claude-sonnet-4-6': claude(3, 15, 0.3, 3.75, US),
  'claude-sonnet-4-5': claude(3, 15, 0.3, 3.75),
  'claude-sonnet-4-0': claude(3, 15, 0.3, 3.75),
  'claude-sonnet-4': claude(3, 15, 0.3, 3.75),
  'claude-haiku-5-5': {
    ...claude(0.1, 0.5, 0.01, 0.125, US),
    tiers: [{ aboveInputTokens: 100_000, input: 0.5, output: 2.5, cachedInput: 0.05, cacheWrite: 0.625, cacheWrite1h: 1 }],
  },
  'claude-haiku-4-5': claude(1, 5, 0.1, 1.25),
  'claude-3-5-haiku': claude(0.8, 4, 0.08, 1),

  // OpenAI. The fourth column, priority processing (openai.com/api-priority-processing, read
  // 2026-12-07: "excludes long context", so above a long-context tier the tier's rates apply).
  'gpt-5.5': { ...openai(5, 0.5, 30, [12.5, 1.25, 75]), tiers: [{ aboveInputTokens: 272_000, input: 10, cachedInput: 1, output: 45 }] },
  'gpt-5.4': { ...openai(2.5, 0.25, 15, [5, 0.5, 30]), tiers: [{ aboveInputTokens: 272_000, input: 5, cachedInput: 0.5, output: 22.5 }] },
  'gpt-5.4-mini': openai(0.75, 0.075, 4.5, [1.5, 0.15, 9]),
  'gpt-5.4-nano': openai(0.2, 0.02, 1.25),
  'gpt-5.2': openai(1.75, 0.175, 14, [3.5, 0.35, 28]),
  'gpt-5.1': openai(1.25, 0.125, 10, [2.5, 0.25, 20]),
  'gpt-5': openai(1.25, 0.125, 10, [2.5, 0.25, 20]),
  'gpt-5-mini': openai(0.25, 0.025, 2, [0.45, 0.045, 3.6]),
  'gpt-5-nano': openai(0.05, 0.005, 0.4),
  'gpt-4.1': openai(2, 0.5, 8, [3.5, 0.875, 14]),
  'gpt-4.1-mini': openai(0.4, 0.1, 1.6, [0.7, 0.175, 2.8]),
  'gpt-4.1-nano': openai(0.1, 0.025, 0.4, [0.2, 0.05, 0.8]),
  // The first gpt-4o snapshot kept its launch price; later ones are gpt-4o's (a dated key wins over its base).
  'gpt-4o-2024-05-13': openai(5, undefined, 15, [8.75, undefined, 26.25]),
  'gpt-4o': openai(2.5, 1.25, 10, [4.25, 2.125, 17]),
  'gpt-4o-mini': openai(0.15, 0.075, 0.6, [0.25, 0.125, 1]),
  o3: openai(2, 0.5, 8, [3.5, 0.875, 14]),
  'o4-mini': openai(1.1, 0.275, 4.4, [2, 0.5, 8]),
  'text-embedding-3-small': rates(0.02, undefined, 0),
  'text-embedding-3-large': rates(0.13, undefined, 0),

  // Google Gemini
  'gemini-3.1-pro': { ...rates(2, 0.2, 12), tiers: [{ aboveInputTokens: 200_000, input: 4, cachedInput: 0.4, output: 18 }] },
  'gemini-3.5-flash': rates(1.5, 0.15, 9),
  'gemini-2.5-pro': { ...rates(1.25, 0.125, 10), tiers: [{ aboveInputTokens: 200_000, input: 2.5, cachedInput: 0.25, output: 15 }] },
  'gemini-2.5-flash': rates(0.3, 0.03, 2.5),
  'gemini-2.5-flash-lite': rates(0.1, 0.01, 0.4),

  // DeepSeek
  'deepseek-v4-pro': rates(0.435, 0.003625, 0.87),
  'deepseek-v4-flash': rates(0.14, 0.0028, 0.28),
  'deepseek-chat': rates(0.14, 0.0028, 0.28),
  'deepseek-reasoner': rates(0.14, 0.0028, 0.28),

  // Groq
  'groq/gpt-oss-120b': rates(0.15, 0.075, 0.6),
  'groq/llama-3.3-70b-versatile': rates(0.59, undefined, 0.79),
  'groq/llama-3.1-8b-instant': rates(0.05, undefined, 0.08),

  // Mistral (Medium 3.1, Medium 3, Large 3, Small 3.2, Codestral, Magistral Medium 1.2)
  'mistral-medium-2508': rates(0.4, undefined, 2),
  'mistral-medium-2505': rates(0.4, undefined, 2),
  'mistral-large-2512': rates(0.5, undefined, 1.5),
  'mistral-small-2506': rates(0.1, undefined, 0.3),
  'codestral-2508': rates(0.3, undefined, 0.9),
  'magistral-medium-2509': rates(2, undefined, 5),
};
