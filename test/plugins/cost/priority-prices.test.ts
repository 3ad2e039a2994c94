/**
 * OpenAI's priority processing rates (`service_tier: "priority"` in the answer), per million tokens:
 * input, cached input, output, from https://openai.com/api-priority-processing/ (read 2026-12-07):
 *
 *   GPT-5.5 $12.50 $1.250 $75.00 · GPT-5.4 mini $1.50 $0.150 $9.00 · GPT-5.4 $5.00 $0.500 $30.00
 *   GPT-5.2 $3.50 $0.350 $28.00 · GPT-5.1 and GPT-5 $2.50 $0.250 $20.00 · GPT-5 mini $0.45 $0.045 $3.60
 *   GPT-4.1 $3.50 $0.875 $14.00 · GPT-4.1 mini $0.70 $0.175 $2.80 · GPT-4.1 nano $0.20 $0.050 $0.80
 *   GPT-4o (2024-11-20, 2024-08-06) $4.25 $2.125 $17.00 · gpt-4o-2024-05-13 $8.75 — $26.25
 *   GPT-4o mini $0.25 $0.125 $1.00 · o3 $3.50 $0.875 $14.00 · o4-mini $2.00 $0.500 $8.00
 *
 * Models the page does not list (gpt-5.4-nano, gpt-5-nano: "not served via priority processing")
 * are billed at standard rates whatever the answer says.
 *
 * Before its fix only gpt-5.4 had its priority rates: a priority answer of any other model was
 * billed at standard rates, 1.75 to 2.5 times too little.
 */
import { describe, expect, it } from 'vitest';
import { createPriceBook, ratesAt } from '../../../plugins/cost/cost.js';

const book = createPriceBook();

function priorityRates(model: string, promptTokens = 1_000) {
  const price = book.lookup('openai', model);
  if (!price) throw new Error(`no shipped price for ${model}`);
  const { input, cachedInput, output } = ratesAt(price, promptTokens, { service_tier: 'priority' });
  return { input, cachedInput, output };
}

describe("OpenAI's priority processing rates", () => {
  it.each([
    ['gpt-5.5', 12.5, 1.25, 75],
    ['gpt-5.4-mini', 1.5, 0.15, 9],
    ['gpt-5.4', 5, 0.5, 30],
    ['gpt-5.2', 3.5, 0.35, 28],
    ['gpt-5.1', 2.5, 0.25, 20],
    ['gpt-5', 2.5, 0.25, 20],
    ['gpt-5-mini', 0.45, 0.045, 3.6],
    ['gpt-4.1', 3.5, 0.875, 14],
    ['gpt-4.1-mini', 0.7, 0.175, 2.8],
    ['gpt-4.1-nano', 0.2, 0.05, 0.8],
    ['gpt-4o', 4.25, 2.125, 17],
    ['gpt-4o-2024-11-20', 4.25, 2.125, 17],
    ['gpt-4o-2024-08-06', 4.25, 2.125, 17],
    ['gpt-4o-mini', 0.25, 0.125, 1],
    ['o3', 3.5, 0.875, 14],
    ['o4-mini', 2, 0.5, 8],
  ])('%s: $%s / $%s cached / $%s output', (model, input, cachedInput, output) => {
    expect(priorityRates(model)).toEqual({ input, cachedInput, output });
  });

  it('gpt-4o-2024-05-13: $8.75 / $26.25, with no cached price (its prompts are not cached)', () => {
    expect(priorityRates('gpt-4o-2024-05-13')).toEqual({ input: 8.75, cachedInput: undefined, output: 26.25 });
  });

  it('a model priority processing does not serve is billed at standard rates', () => {
    expect(priorityRates('gpt-5.4-nano')).toEqual({ input: 0.2, cachedInput: 0.02, output: 1.25 });
    expect(priorityRates('gpt-5-nano')).toEqual({ input: 0.05, cachedInput: 0.005, output: 0.4 });
  });

  it('above a long-context tier the tier rates apply: priority "excludes long context"', () => {
    expect(priorityRates('gpt-5.5', 300_000)).toEqual({ input: 10, cachedInput: 1, output: 45 });
  });
});
