import { describe, expect, it } from 'vitest';
import type { ChatCompletionRequest, Usage } from '../../../core/protocol/openai.js';
import type { NativeRequest } from '../../../core/protocol/native.js';
import { cacheWriteAsked } from '../../../plugins/cost/cache-marks.js';
import { pricingFrom } from '../../../plugins/cost/index.js';
import { costOf, createPriceBook, ratesFor, type ModelPrice } from '../../../plugins/cost/cost.js';
import { MODEL_PRICES, PRICES_READ_ON } from '../../../plugins/cost/prices.js';
import { readHostUsage } from '../../../plugins/openai/host-usage.js';

function usage(prompt: number, completion: number, details: { cached?: number; written?: number; writtenForAnHour?: number; reasoning?: number } = {}): Usage {
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: details.cached, cache_write_tokens: details.written, cache_write_1h_tokens: details.writtenForAnHour },
    completion_tokens_details: { reasoning_tokens: details.reasoning },
  };
}

const book = createPriceBook();

function shipped(provider: string, model: string): ModelPrice {
  const price = book.lookup(provider, model);
  if (!price) throw new Error(`no shipped price for ${provider}/${model}`);
  return price;
}

describe('costOf: worked examples (USD per million tokens; amounts computed by hand)', () => {
  it('bills prompt at input and completion at output (gpt-4o-mini: $0.15 / $0.60)', () => {
    // 1000 × 0.15 / 1e6 = 0.00015; 500 × 0.60 / 1e6 = 0.0003
    expect(costOf(usage(1000, 500), shipped('openai', 'gpt-4o-mini'))).toEqual({
      inputUsd: 0.00015,
      cachedInputUsd: 0,
      cacheWriteUsd: 0,
      outputUsd: 0.0003,
      toolUseUsd: 0,
      totalUsd: 0.00045,
    });
  });

  it('bills cached tokens once, at the cached rate, and reasoning once, inside the output (gpt-4o: $2.50 / cached $1.25 / $10)', () => {
    // prompt 10 000 of which 8 000 cached: 2 000 × 2.50 = 0.005, 8 000 × 1.25 = 0.01
    // completion 1 000 of which 400 reasoning: 1 000 × 10 = 0.01 (not 1 400 × 10)
    expect(costOf(usage(10_000, 1_000, { cached: 8_000, reasoning: 400 }), shipped('openai', 'gpt-4o'))).toEqual({
      inputUsd: 0.005,
      cachedInputUsd: 0.01,
      cacheWriteUsd: 0,
      outputUsd: 0.01,
      toolUseUsd: 0,
      totalUsd: 0.025,
    });
  });

  // DeepSeek reports cache reads as its own `prompt_cache_hit_tokens` (inside prompt_tokens), and
  // no `prompt_tokens_details`: they were billed at the full input price, ten times the cache's.
  // The OpenAI-format adapter reads the field as `cached_tokens` (plugins/openai/host-usage.ts).
  it("bills DeepSeek's cache hits at the cached rate (deepseek-v4-flash: $0.14 / cached $0.0028 / $0.28)", () => {
    // prompt 1 000 000 of which 900 000 hits: 100 000 × 0.14 = 0.014, 900 000 × 0.0028 = 0.00252
    const reported = { prompt_tokens: 1_000_000, completion_tokens: 0, total_tokens: 1_000_000, prompt_cache_hit_tokens: 900_000, prompt_cache_miss_tokens: 100_000 };
    readHostUsage(reported);
    expect(costOf(reported, shipped('deepseek', 'deepseek-v4-flash'))).toMatchObject({ inputUsd: 0.014, cachedInputUsd: 0.00252, totalUsd: 0.01652 });
  });

  it('bills Anthropic cache writes at the 5-minute write price, apart from reads and fresh input (claude-sonnet-4-5)', () => {
    // prompt 12 000 = 1 000 fresh + 10 000 read + 1 000 written
    // 1 000 × 3 = 0.003; 10 000 × 0.30 = 0.003; 1 000 × 3.75 = 0.00375; 500 × 15 = 0.0075
    expect(costOf(usage(12_000, 500, { cached: 10_000, written: 1_000 }), shipped('anthropic', 'claude-sonnet-4-5-20250929'))).toEqual({
      inputUsd: 0.003,
      cachedInputUsd: 0.003,
      cacheWriteUsd: 0.00375,
      outputUsd: 0.0075,
      toolUseUsd: 0,
      totalUsd: 0.01725,
    });
  });

  it('bills 1-hour cache writes at twice the input price and the other writes at the 5-minute price (claude-sonnet-4-5)', () => {
    // prompt 12 000 = 1 000 fresh + 10 000 read + 1 000 written, 600 of them for an hour
    // 1 000 × 3 = 0.003; 10 000 × 0.30 = 0.003; 400 × 3.75 + 600 × 6 = 0.0015 + 0.0036 = 0.0051; 500 × 15 = 0.0075
    expect(costOf(usage(12_000, 500, { cached: 10_000, written: 1_000, writtenForAnHour: 600 }), shipped('anthropic', 'claude-sonnet-4-5-20250929'))).toEqual({
      inputUsd: 0.003,
      cachedInputUsd: 0.003,
      cacheWriteUsd: 0.0051,
      outputUsd: 0.0075,
      toolUseUsd: 0,
      totalUsd: 0.0186,
    });
  });

  it('prices a 1-hour write at twice the input on every shipped Claude model, long-prompt tiers included', () => {
    const claudes = Object.entries(MODEL_PRICES).filter(([model]) => model.startsWith('claude-'));
    expect(claudes.length).toBeGreaterThan(10);
    for (const [model, price] of claudes) {
      expect(price.cacheWrite1h, model).toBe(price.input * 2);
      for (const tier of price.tiers ?? []) expect(tier.cacheWrite1h, `${model} above ${tier.aboveInputTokens}`).toBe(tier.input! * 2);
    }
  });

  it('bills 1-hour writes at the write price when the model has no 1-hour price, and never more of them than were written', () => {
    const price: ModelPrice = { input: 2, output: 8, cacheWrite: 3 };
    // 600 written, 200 for an hour, all at 3: 0.0018
    expect(costOf(usage(1_000, 0, { written: 600, writtenForAnHour: 200 }), price).cacheWriteUsd).toBe(0.0018);
    // More 1-hour writes than writes (inconsistent usage): only the 600 written are billed, at the 1-hour price 4.
    expect(costOf(usage(1_000, 0, { written: 600, writtenForAnHour: 5_000 }), { ...price, cacheWrite1h: 4 }).cacheWriteUsd).toBe(0.0024);
  });

  it('falls back to the input price for cache reads and writes when the model has no such price', () => {
    const price: ModelPrice = { input: 2, output: 8 };
    // 100 fresh + 300 read + 600 written, all at 2: 0.0002 + 0.0006 + 0.0012
    expect(costOf(usage(1_000, 0, { cached: 300, written: 600 }), price)).toEqual({
      inputUsd: 0.0002,
      cachedInputUsd: 0.0006,
      cacheWriteUsd: 0.0012,
      outputUsd: 0,
      toolUseUsd: 0,
      totalUsd: 0.002,
    });
  });

  it('bills reasoning at its own rate only when the model has one, and the rest of the completion at output', () => {
    const price: ModelPrice = { input: 1, output: 10, reasoning: 2 };
    // 400 answer × 10 = 0.004; 600 reasoning × 2 = 0.0012
    expect(costOf(usage(0, 1_000, { reasoning: 600 }), price).outputUsd).toBe(0.0052);
    expect(costOf(usage(0, 1_000, { reasoning: 600 }), { input: 1, output: 10 }).outputUsd).toBe(0.01);
  });

  it('has no floating-point noise: amounts are the doubles nearest the exact decimal values', () => {
    // Naively 3 × 0.1 / 1e6 = 3.0000000000000004e-7 and 0.1 + 0.2 = 0.30000000000000004.
    expect(costOf(usage(3, 0), { input: 0.1, output: 0 }).inputUsd).toBe(3e-7);
    const cost = costOf(usage(100_000, 200_000), { input: 1, output: 1 });
    expect([cost.inputUsd, cost.outputUsd, cost.totalUsd]).toEqual([0.1, 0.2, 0.3]);
    // Six-decimal prices stay exact: 1 000 000 cache hits at $0.003625 (deepseek-v4-pro).
    expect(costOf(usage(1_000_000, 0, { cached: 1_000_000 }), shipped('deepseek', 'deepseek-v4-pro')).cachedInputUsd).toBe(0.003625);
  });

  it('clamps inconsistent usage instead of billing negative tokens', () => {
    const cost = costOf(usage(100, 10, { cached: 150, written: 50, reasoning: 20 }), { input: 1, output: 1 });
    expect(cost).toEqual({ inputUsd: 0, cachedInputUsd: 0.0001, cacheWriteUsd: 0, outputUsd: 0.00001, toolUseUsd: 0, totalUsd: 0.00011 });
  });

  it('treats missing details as zero', () => {
    const bare: Usage = { prompt_tokens: 1_000, completion_tokens: 1_000, total_tokens: 2_000 };
    expect(costOf(bare, { input: 1, output: 2, cachedInput: 0.1 }).totalUsd).toBe(0.003);
  });
});

describe('costOf: prompt-length tiers', () => {
  it('keeps the base rates up to and including the threshold (gemini-2.5-pro at 200 000 prompt tokens)', () => {
    // 200 000 × 1.25 = 0.25; 1 000 × 10 = 0.01
    const cost = costOf(usage(200_000, 1_000), shipped('gemini', 'gemini-2.5-pro'));
    expect([cost.inputUsd, cost.outputUsd, cost.totalUsd]).toEqual([0.25, 0.01, 0.26]);
  });

  it('bills every token of a longer prompt, output included, at the tier (gemini-2.5-pro at 200 001)', () => {
    // 200 001 × 2.50 = 0.5000025; 1 000 × 15 = 0.015
    const cost = costOf(usage(200_001, 1_000), shipped('gemini', 'gemini-2.5-pro'));
    expect([cost.inputUsd, cost.outputUsd, cost.totalUsd]).toEqual([0.5000025, 0.015, 0.5150025]);
  });

  it('counts cached tokens toward the threshold and bills them at the tier cache rate', () => {
    // 250 000 prompt (100 000 cached) is over 200k: 150 000 × 2.50 = 0.375; 100 000 × 0.25 = 0.025
    const cost = costOf(usage(250_000, 0, { cached: 100_000 }), shipped('gemini', 'models/gemini-2.5-pro'));
    expect([cost.inputUsd, cost.cachedInputUsd, cost.totalUsd]).toEqual([0.375, 0.025, 0.4]);
  });

  it("switches Claude Haiku 5.5 by prompt length counting cache reads and writes (100k)", () => {
    const haiku = shipped('anthropic', 'claude-haiku-5-5');
    // 60 000 fresh + 40 000 read = 100 000: base. 60 000 × 0.10 = 0.006; 40 000 × 0.01 = 0.0004; 1 000 × 0.50 = 0.0005
    expect(costOf(usage(100_000, 1_000, { cached: 40_000 }), haiku).totalUsd).toBe(0.0069);
    // One cache write more tips it over: 60 000 × 0.50 = 0.03; 40 000 × 0.05 = 0.002; 1 × 0.625 = 0.000000625; 1 000 × 2.50 = 0.0025
    const over = costOf(usage(100_001, 1_000, { cached: 40_000, written: 1 }), haiku);
    expect(over).toEqual({ inputUsd: 0.03, cachedInputUsd: 0.002, cacheWriteUsd: 0.000000625, outputUsd: 0.0025, toolUseUsd: 0, totalUsd: 0.034500625 });
  });

  it('picks the highest tier exceeded and inherits the rates a tier does not set', () => {
    const price: ModelPrice = {
      input: 1,
      output: 2,
      cachedInput: 0.5,
      tiers: [
        { aboveInputTokens: 1_000, input: 3 },
        { aboveInputTokens: 100, input: 2, output: 4 },
      ],
    };
    expect(ratesFor(price, 100)).toMatchObject({ input: 1, output: 2, cachedInput: 0.5 });
    expect(ratesFor(price, 101)).toMatchObject({ input: 2, output: 4, cachedInput: 0.5 });
    expect(ratesFor(price, 5_000)).toMatchObject({ input: 3, output: 2, cachedInput: 0.5 });
  });
});

describe('price book lookup', () => {
  it.each([
    ['openai', 'gpt-4o', 'gpt-4o'],
    ['openai', 'gpt-4o-2024-08-06', 'gpt-4o'],
    ['openrouter', 'openai/gpt-4o-mini', 'gpt-4o-mini'],
    ['openai', 'gpt-4o-mini-2024-07-18', 'gpt-4o-mini'],
    ['openai', 'GPT-4.1-2025-04-14', 'gpt-4.1'],
    ['openai', 'o4-mini-2025-04-16', 'o4-mini'],
    ['openai', 'gpt-5.4-2026-03-05', 'gpt-5.4'],
    ['anthropic', 'claude-sonnet-4-5-20250929', 'claude-sonnet-4-5'],
    ['anthropic', 'claude-opus-4-1-20250805', 'claude-opus-4-1'],
    ['anthropic', 'claude-haiku-4-5-20251001', 'claude-haiku-4-5'],
    ['anthropic', 'claude-3-5-haiku-latest', 'claude-3-5-haiku'],
    ['vertex', 'claude-sonnet-4-5@20250929', 'claude-sonnet-4-5'],
    ['gemini', 'models/gemini-2.5-flash', 'gemini-2.5-flash'],
    ['gemini', 'gemini-2.5-flash-lite-preview-06-17', 'gemini-2.5-flash-lite'],
    ['gemini', 'gemini-3.1-pro-preview', 'gemini-3.1-pro'],
    ['deepseek', 'deepseek-reasoner', 'deepseek-reasoner'],
    ['groq', 'openai/gpt-oss-120b', 'groq/gpt-oss-120b'],
    ['groq', 'llama-3.3-70b-versatile', 'groq/llama-3.3-70b-versatile'],
  ])('%s %s → %s', (provider, model, key) => {
    expect(book.lookup(provider, model)).toEqual(MODEL_PRICES[key]);
  });

  it('answers the same when asked again, for known and unknown models, across many providers and models', () => {
    const fresh = createPriceBook();
    for (let round = 0; round < 2; round++) {
      for (let i = 0; i < 1500; i++) expect(fresh.lookup(`p${i % 7}`, `unknown-${i}`)).toBeUndefined();
      expect(fresh.lookup('openai', 'gpt-4o')).toEqual(MODEL_PRICES['gpt-4o']);
      expect(fresh.lookup('groq', 'openai/gpt-oss-120b')).toEqual(MODEL_PRICES['groq/gpt-oss-120b']);
      expect(fresh.lookup('together', 'openai/gpt-oss-120b')).toBeUndefined();
    }
  });

  it('lets the longest known key win', () => {
    expect(book.lookup('anthropic', 'claude-sonnet-4-20250514')).toEqual(MODEL_PRICES['claude-sonnet-4']);
    expect(book.lookup('anthropic', 'claude-sonnet-4-5')).toEqual(MODEL_PRICES['claude-sonnet-4-5']);
    expect(book.lookup('openai', 'gpt-5-mini-2025-08-07')).toEqual(MODEL_PRICES['gpt-5-mini']);
  });

  it.each([
    ['openai', 'gpt-5.4-pro'],
    ['openai', 'o3-mini'],
    ['openai', 'gpt-4o-realtime-preview'],
    ['openai', 'gpt-5-chat-latest'],
    ['together', 'openai/gpt-oss-120b'],
    ['ollama', 'llama-3.3-70b-versatile'],
    ['local', 'totally-unknown-model'],
    ['openai', ''],
  ])('%s %s is unknown: undefined, never a guessed price', (provider, model) => {
    expect(book.lookup(provider, model)).toBeUndefined();
  });
});

describe('price overrides', () => {
  it('take a 1-hour cache write price, checked like every rate', () => {
    expect(createPriceBook({ 'claude-sonnet-4-5': { cacheWrite1h: 7 } }).lookup('anthropic', 'claude-sonnet-4-5')).toMatchObject({ input: 3, cacheWrite: 3.75, cacheWrite1h: 7 });
    expect(() => createPriceBook({ 'claude-sonnet-4-5': { cacheWrite1h: -1 } })).toThrow(/cacheWrite1h must be a finite number >= 0/);
  });

  it('replaces a model for every provider with a bare key, keeping the shipped rates it does not set', () => {
    const custom = createPriceBook({ 'gpt-4o': { input: 2, cachedInput: 1 } });
    expect(custom.lookup('openai', 'gpt-4o-2024-11-20')).toEqual({ ...MODEL_PRICES['gpt-4o'], input: 2, cachedInput: 1 });
    expect(custom.lookup('azure', 'gpt-4o')).toMatchObject({ input: 2, output: 10 });
    expect(custom.lookup('openai', 'gpt-4o-mini')).toEqual(MODEL_PRICES['gpt-4o-mini']);
  });

  it('changes one provider only with a provider/model key, and beats a bare override there', () => {
    const custom = createPriceBook({ 'azure/gpt-4o': { input: 2.75, output: 11 }, 'gpt-4o': { input: 2 } });
    expect(custom.lookup('azure', 'gpt-4o')).toMatchObject({ input: 2.75, output: 11, cachedInput: 1.25 });
    expect(custom.lookup('openai', 'gpt-4o')).toMatchObject({ input: 2, output: 10 });
    expect(custom.lookup('Azure', 'openai/gpt-4o-2024-08-06')).toMatchObject({ input: 2.75 });
  });

  it('beats a shipped provider/model row with a bare override', () => {
    const custom = createPriceBook({ 'gpt-oss-120b': { input: 0.1, output: 0.5 } });
    expect(custom.lookup('groq', 'openai/gpt-oss-120b')).toEqual({ ...MODEL_PRICES['groq/gpt-oss-120b'], input: 0.1, output: 0.5 });
    expect(custom.lookup('together', 'openai/gpt-oss-120b')).toEqual({ input: 0.1, output: 0.5 });
  });

  it('adds models the table does not know, with dated-suffix tolerance', () => {
    const custom = createPriceBook({ 'ollama/llama3.2': { input: 0, output: 0 }, 'my-model': { input: 1, output: 2, tiers: [{ aboveInputTokens: 10, input: 5 }] } });
    expect(custom.lookup('ollama', 'llama3.2')).toEqual({ input: 0, output: 0 });
    expect(custom.lookup('vllm', 'llama3.2')).toBeUndefined();
    expect(custom.lookup('vllm', 'my-model-2026-01-01')).toMatchObject({ input: 1, output: 2 });
    // 11 prompt tokens are above the tier's 10: 11 × 5 / 1e6
    const myModel = custom.lookup('vllm', 'my-model');
    expect(myModel && costOf(usage(11, 0), myModel).inputUsd).toBe(0.000055);
  });

  it('refuses an override that cannot form a price, or a rate that is not a number ≥ 0', () => {
    expect(() => createPriceBook({ 'brand-new-model': { input: 1 } })).toThrow(/brand-new-model.*both input and output/);
    expect(() => createPriceBook({ 'gpt-4o': { input: -1 } })).toThrow(/input must be a finite number >= 0/);
    expect(() => createPriceBook({ 'gpt-4o': { output: Number.NaN } })).toThrow(/output/);
    expect(() => createPriceBook({ 'gpt-4o': { tiers: [{ aboveInputTokens: 1.5, input: 1 }] } })).toThrow(/aboveInputTokens/);
  });

  it('does not change the shipped table or other books', () => {
    createPriceBook({ 'gpt-4o': { input: 99 } });
    expect(createPriceBook().lookup('openai', 'gpt-4o')).toEqual(MODEL_PRICES['gpt-4o']);
    expect(MODEL_PRICES['gpt-4o']?.input).toBe(2.5);
  });
});

describe('shipped table', () => {
  const entries = Object.entries(MODEL_PRICES);

  it('says when it was read', () => {
    expect(PRICES_READ_ON).toBe('2026-11-23');
  });

  it.each([
    'gpt-4o', 'gpt-4o-mini', 'gpt-4.1', 'gpt-4.1-mini', 'gpt-4.1-nano', 'o3', 'o4-mini', 'gpt-5', 'gpt-5-mini', 'gpt-5-nano',
    'text-embedding-3-small', 'text-embedding-3-large', 'claude-sonnet-4-5', 'claude-haiku-4-5', 'claude-opus-4-1',
    'gemini-2.5-pro', 'gemini-2.5-flash', 'gemini-2.5-flash-lite', 'deepseek-chat', 'deepseek-reasoner',
  ])('prices %s', (model) => {
    expect(book.lookup('any', model)).toBeDefined();
  });

  it('has lower-case keys and sane rates: finite, ≥ 0, cache reads cheaper than input, tiers dearer than base', () => {
    for (const [key, price] of entries) {
      expect(key, key).toBe(key.toLowerCase());
      for (const rates of [price, ...(price.tiers ?? [])]) {
        for (const value of [rates.input, rates.output, rates.cachedInput, rates.cacheWrite, rates.reasoning]) {
          if (value !== undefined) expect(Number.isFinite(value) && value >= 0, key).toBe(true);
        }
      }
      if (price.cachedInput !== undefined) expect(price.cachedInput, key).toBeLessThan(price.input);
      for (const tier of price.tiers ?? []) expect(tier.input ?? price.input, key).toBeGreaterThan(price.input);
    }
  });

  it('prices Anthropic cache writes at 1.25× input (the 5-minute TTL) and reads at most 0.1× input', () => {
    for (const [key, price] of entries.filter(([k]) => k.startsWith('claude-'))) {
      expect(price.cacheWrite, key).toBeCloseTo(price.input * 1.25, 10);
      expect(price.cachedInput ?? Infinity, key).toBeLessThanOrEqual(price.input * 0.1 + 1e-12);
    }
  });
});

describe('estimates before the call (what a budget reserves)', () => {
  const estimate = pricingFrom(createPriceBook(), 4096);
  const sonnet = [{ provider: 'anthropic', model: 'claude-sonnet-4-5' }];
  const text = (cache_control?: Record<string, unknown>) => ({ type: 'text', text: 'long context', ...(cache_control ? { cache_control } : {}) });
  const request = (...parts: Array<Record<string, unknown>>): ChatCompletionRequest => ({ model: 'm', max_tokens: 100, messages: [{ role: 'system', content: 'plain' }, { role: 'user', content: parts }] });

  it('sees which cache a request marks its content for, if any', () => {
    expect(cacheWriteAsked(request(text()))).toBe('none');
    expect(cacheWriteAsked({ model: 'm', messages: [{ role: 'user', content: 'a string carries no mark' }] })).toBe('none');
    expect(cacheWriteAsked(request(text({ type: 'ephemeral' })))).toBe('minutes');
    expect(cacheWriteAsked(request(text({ type: 'ephemeral', ttl: '5m' }), text({ type: 'ephemeral', ttl: '1h' })))).toBe('hour');
  });

  it("sees marks on the tool definitions of a client's own Anthropic request, which the OpenAI view has no place for", () => {
    const native = (tools: unknown[], protocol: NativeRequest['protocol'] = 'anthropic'): NativeRequest => ({ protocol, body: { model: 'm', tools }, headers: {} });
    const tool = (cache_control?: Record<string, unknown>) => ({ name: 't', input_schema: { type: 'object' }, ...(cache_control ? { cache_control } : {}) });
    expect(cacheWriteAsked(request(text()), native([tool(), tool()]))).toBe('none');
    expect(cacheWriteAsked(request(text()), native([tool(), tool({ type: 'ephemeral' })]))).toBe('minutes');
    expect(cacheWriteAsked(request(text({ type: 'ephemeral' })), native([tool({ type: 'ephemeral', ttl: '1h' })]))).toBe('hour');
    expect(cacheWriteAsked(request(text({ type: 'ephemeral', ttl: '1h' })), native([tool({ type: 'ephemeral' })]))).toBe('hour');
    // Only Anthropic's requests carry such marks.
    expect(cacheWriteAsked(request(text()), native([tool({ type: 'ephemeral' })], 'openai-responses'))).toBe('none');
    expect(estimate.estimateMicros(sonnet, request(text()), 1_000, undefined, native([tool({ type: 'ephemeral', ttl: '1h' })]))).toBe(6_000 + 1_500);
  });

  it('prices the prompt at the input price, or at the write price the marks ask for (claude-sonnet-4-5: $3, $3.75, $6)', () => {
    // 1 000 prompt tokens, 100 answer tokens at $15: 1 500 µ$ for the answer.
    expect(estimate.estimateMicros(sonnet, request(text()), 1_000)).toBe(3_000 + 1_500);
    expect(estimate.estimateMicros(sonnet, request(text({ type: 'ephemeral' })), 1_000)).toBe(3_750 + 1_500);
    expect(estimate.estimateMicros(sonnet, request(text({ type: 'ephemeral', ttl: '1h' })), 1_000)).toBe(6_000 + 1_500);
  });

  it('reserves the answer at max_tokens, else at the caller\'s output tokens, else at defaultOutputTokens', () => {
    const unbounded: ChatCompletionRequest = { model: 'm', messages: [{ role: 'user', content: 'no max' }] };
    // claude-sonnet-4-5: 1 000 prompt tokens at $3 = 3 000 µ$, answer tokens at $15 each.
    expect(estimate.estimateMicros(sonnet, request(text()), 1_000, 10)).toBe(3_000 + 1_500);
    expect(estimate.estimateMicros(sonnet, unbounded, 1_000, 10)).toBe(3_000 + 150);
    expect(estimate.estimateMicros(sonnet, unbounded, 1_000)).toBe(3_000 + 4096 * 15);
  });

  it('leaves a model without a write premium at its input price, marks or not (gpt-4o: $2.50, answer $10)', () => {
    expect(estimate.estimateMicros([{ provider: 'openai', model: 'gpt-4o' }], request(text({ type: 'ephemeral', ttl: '1h' })), 1_000)).toBe(2_500 + 1_000);
  });
});
