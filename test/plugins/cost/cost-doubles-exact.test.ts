/**
 * The cost of an answer in doubles where every amount is a safe integer of picodollars, BigInt past
 * that (the fifty-fourth session: no BigInt made for every request), compared field by field with
 * `Object.is` against the BigInt-only implementation it replaced, over generated usages and prices.
 * Before its fix, a price of -0 (which the schema's `minimum: 0` admits) came out as -0 in every
 * amount, where the BigInt path gave +0.
 */
import { describe, expect, it } from 'vitest';
import type { Usage } from '../../../core/protocol/openai.js';
import { costOf, createPriceBook, type ModelPrice } from '../../../plugins/cost/cost.js';

// The implementation before ba8aa4e (git show 69c0648:plugins/cost/cost.ts), reduced to costOf.
function oldCostOf(usage: Usage, price: ModelPrice) {
  const count = (v: number | undefined) => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? Math.round(v) : 0);
  const prompt = count(usage.prompt_tokens);
  const cached = Math.min(count(usage.prompt_tokens_details?.cached_tokens), prompt);
  const written = Math.min(count(usage.prompt_tokens_details?.cache_write_tokens), prompt - cached);
  const hour = Math.min(count(usage.prompt_tokens_details?.cache_write_1h_tokens), written);
  const completion = count(usage.completion_tokens);
  const reasoning = Math.min(count(usage.completion_tokens_details?.reasoning_tokens), completion);
  const tier = [...(price.tiers ?? [])].filter((t) => prompt > t.aboveInputTokens).sort((a, b) => b.aboveInputTokens - a.aboveInputTokens)[0];
  let rates: ModelPrice = price;
  if (tier) { const { aboveInputTokens: _t, ...r } = tier; rates = { ...price, ...r }; }
  const picos = (tokens: number, p: number) => BigInt(tokens) * BigInt(Math.round(p * 1e6));
  const usd = (p: bigint) => Number(p) / 1e12;
  const minutes = rates.cacheWrite ?? rates.input;
  const h = rates.cacheWrite1h ?? minutes;
  const input = picos(prompt - cached - written, rates.input);
  const cachedInput = picos(cached, rates.cachedInput ?? rates.input);
  const cacheWrite = picos(written - hour, minutes) + picos(hour, h);
  const output = picos(completion - reasoning, rates.output) + picos(reasoning, rates.reasoning ?? rates.output);
  const searches = count((usage.server_tool_use as { web_search_requests?: number } | undefined)?.web_search_requests);
  const toolUse = BigInt(searches) * BigInt(Math.round((rates.webSearchPer1k ?? 0) * 1e9));
  return { inputUsd: usd(input), cachedInputUsd: usd(cachedInput), cacheWriteUsd: usd(cacheWrite), outputUsd: usd(output), toolUseUsd: usd(toolUse), totalUsd: usd(input + cachedInput + cacheWrite + output + toolUse) };
}

const usage = (prompt: number, completion: number, cached = 0, written = 0): Usage => ({
  prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion,
  prompt_tokens_details: { cached_tokens: cached, cache_write_tokens: written },
});

describe('costOf in doubles vs. the BigInt implementation', () => {
  it('agrees with the old implementation over generated inputs (Object.is on every field)', () => {
    let seed = 12345;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const tokenChoices = () => [0, 1, Math.floor(rand() * 1e6), Math.floor(rand() * 2 ** 40), 2 ** 53 - 1][Math.floor(rand() * 5)]!;
    const priceChoices = () => [0, 0.15, 3.625, Math.round(rand() * 1e8) / 1e6, 1e9, 9007.199254740991][Math.floor(rand() * 6)]!;
    for (let i = 0; i < 20000; i++) {
      const price: ModelPrice = { input: priceChoices(), output: priceChoices(), cachedInput: priceChoices(), cacheWrite: priceChoices() };
      const u = usage(tokenChoices(), tokenChoices(), tokenChoices(), tokenChoices());
      const got = costOf(u, price);
      const want = oldCostOf(u, price);
      for (const k of Object.keys(want) as (keyof typeof want)[]) {
        if (!Object.is(got[k], want[k])) expect({ u, price, k, got: got[k] }).toEqual({ u, price, k, got: want[k] });
      }
    }
  });

  it('a price of -0 (accepted by the price book: -0 >= 0) still costs 0, not -0', () => {
    // The price book's override check admits -0; the old BigInt(-0) was 0n, so the cost was +0.
    const book = createPriceBook({ 'free-model': { input: -0, output: -0 } } as never);
    const price = { input: -0, output: -0 } satisfies ModelPrice;
    void book;
    const u = usage(1000, 500);
    const want = oldCostOf(u, price);
    const got = costOf(u, price);
    expect(Object.is(want.totalUsd, 0)).toBe(true);
    expect(Object.is(got.totalUsd, 0)).toBe(true); // fails: -0
    expect(got).toEqual(want);
  });
});
