/**
 * gateway:cost, what each request costs, from the shipped price table (plugins/cost/prices.ts)
 * and the config's overrides, offered to other plugins as the `pricing` service (budgets in
 * gateway:auth, the usage log). Without this plugin in the config they use the shipped table.
 *
 * @example
 * plugins: [cost({ prices: { 'groq/llama-3.3-70b-versatile': { input: 0.59, output: 0.79 }, 'my-finetune': { input: 3, output: 12 } } })]
 */
import { definePlugin, statedCostOf, type ChatCompletionRequest, type NativeRequest, type Target, type Usage } from 'llm-gateway/plugin';
import { pricing, type Pricing } from './pricing.js';
import { cacheWriteAsked } from './cache-marks.js';
import { cacheWriteRates, costOf, ratesAt } from './cost.js';
import { ListedPrices } from './listed-prices.js';
import { createPriceBook, type PriceBook } from './price-book.js';
import type { ModelPrice } from './prices.js';

export interface CostOptions {
  /**
   * USD per million tokens by `provider/model` or bare model: `{ input, output, cachedInput?,
   * cacheWrite?, cacheWrite1h?, reasoning? }`, per 1,000 web searches (`webSearchPer1k?`), and what
   * every token price is multiplied by when the answer ran only in the US (`usInference?`: 1.1 on
   * Anthropic's newer models).
   */
  prices?: Record<string, Partial<ModelPrice>>;
  /** Output tokens assumed, for estimates before a call, when a request sets no `max_tokens`. Default 4096. */
  defaultOutputTokens?: number;
}

const rate = { type: 'number', minimum: 0 };

const defaults = { defaultOutputTokens: 4096 } satisfies CostOptions;

export const cost = definePlugin<CostOptions, typeof defaults>({
  name: 'gateway:cost',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      prices: {
        type: 'object',
        additionalProperties: {
          type: 'object',
          additionalProperties: false,
          properties: { input: rate, output: rate, cachedInput: rate, cacheWrite: rate, cacheWrite1h: rate, reasoning: rate, webSearchPer1k: rate, usInference: { type: 'number', exclusiveMinimum: 0 } },
        },
      },
      defaultOutputTokens: { type: 'integer', minimum: 0 },
    },
  },
  defaults,
  setup(host, options) {
    // What hosts list with their models (OpenRouter), for models the table and overrides lack.
    const listed = new ListedPrices();
    host.events.on('provider:models', (provider, models, error) => {
      if (!error) listed.learn(provider, models, host.provider(provider));
    });
    // A provider kept as it was is the same instance after a live change; a changed or removed one is not.
    host.events.on('config:change', () => listed.follow((provider) => host.provider(provider)));
    host.provide(pricing, pricingFrom(createPriceBook(options.prices ?? {}, listed), options.defaultOutputTokens));
  },
});

/** The pricing of the shipped table, for plugins used without gateway:cost. */
export function defaultPricing(): Pricing {
  return (shared ??= pricingFrom(createPriceBook(), 4096));
}
let shared: Pricing | undefined;

/**
 * The most answer tokens a request may be billed for: the larger of `max_completion_tokens` and
 * `max_tokens` (an adapter sends one of them; each is billed as asked), never below zero, for each
 * of the `n` answers it asks for (`best_of` on text completions: every candidate is billed).
 */
function answerTokensAsked(request: ChatCompletionRequest, fallback: number): number {
  // On every budgeted request: no arrays made.
  const completion = finite(request.max_completion_tokens);
  const max = finite(request.max_tokens);
  const perAnswer = completion === undefined && max === undefined ? fallback : Math.max(0, completion ?? 0, max ?? 0);
  const answers = Math.max(1, finite(request.n) ?? 1, finite((request as { best_of?: unknown }).best_of) ?? 1);
  return perAnswer * Math.ceil(answers);
}

function finite(value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  const number = Number(value);
  return Number.isFinite(number) ? number : undefined;
}

/** The cost of `usage` at the table's `price`, in micro-dollars; undefined without a price. */
function priceMicros(price: ModelPrice | undefined, usage: Usage): number | undefined {
  return price ? Math.round(costOf(usage, price).totalUsd * 1e6) : undefined;
}

export function pricingFrom(book: PriceBook, defaultOutputTokens: number): Pricing {
  // The request's cost is asked for twice as it ends, with the same target and usage objects (the
  // key's budget settles it, the usage log records it): the exact arithmetic runs once.
  let last: { target: Target; usage: Usage; micros: number | undefined } | undefined;
  return {
    costMicros(target, usage) {
      if (last?.target === target && last.usage === usage) return last.micros;
      // What the upstream says it billed (OpenRouter's, kept by the OpenAI-format adapter) is the bill.
      const stated = statedCostOf(usage);
      const micros = stated !== undefined ? Math.round(stated * 1e6) : priceMicros(book.lookup(target.provider, target.model), usage);
      last = { target, usage, micros };
      return micros;
    },
    estimateMicros(targets: readonly Target[], request: ChatCompletionRequest, promptTokens: number, outputTokens = defaultOutputTokens, native?: NativeRequest) {
      const output = answerTokensAsked(request, outputTokens);
      const writes = cacheWriteAsked(request, native);
      // A native request says where it must run in its own body (Anthropic's `inference_geo`).
      const served = { service_tier: request.service_tier, inference_geo: native?.body.inference_geo ?? request.inference_geo };
      let dearest = 0;
      for (const target of targets) {
        const price = book.lookup(target.provider, target.model);
        if (!price) continue;
        const rates = ratesAt(price, promptTokens, served);
        // A prompt marked for the cache may be written to it whole, at the write price.
        const write = cacheWriteRates(rates);
        const prompt = writes === 'none' ? rates.input : Math.max(rates.input, write.minutes, writes === 'hour' ? write.hour : 0);
        dearest = Math.max(dearest, (promptTokens * prompt + output * rates.output) / 1e6);
      }
      return Math.ceil(dearest * 1e6);
    },
  };
}

export { costOf, createPriceBook, pricing };
export type { PriceBook, ModelPrice, Pricing };
