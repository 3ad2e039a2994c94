import { describe, expect, it } from 'vitest';
import { isOpenRouter, readHostUsage } from '../../../plugins/openai/host-usage.js';
import type { Usage } from '../../../core/protocol/openai.js';
import { statedCostOf } from '../../../core/protocol/stated-cost.js';

const usage = (extra: Record<string, unknown>): Usage => ({ prompt_tokens: 10, completion_tokens: 2, total_tokens: 12, ...extra });

describe('which hosts state their cost', () => {
  it.each([
    ['https://openrouter.ai/api/v1', true],
    ['https://OpenRouter.ai/api/v1', true],
    ['https://eu.openrouter.ai/api/v1', true],
    ['https://openrouter.ai.example.com/v1', false],
    ['https://notopenrouter.ai/v1', false],
    ['https://api.openai.com/v1', false],
  ])('%s: %s', (baseURL, expected) => {
    expect(isOpenRouter(baseURL)).toBe(expected);
  });
});

describe('readHostUsage: a stated cost', () => {
  it('is kept from a host that states it, and only from one', () => {
    const stated = usage({ cost: 0.5 });
    readHostUsage(stated, { statedCost: true });
    expect(statedCostOf(stated)).toBe(0.5);
    const plain = usage({ cost: 0.5 });
    readHostUsage(plain);
    expect(statedCostOf(plain)).toBeUndefined();
  });

  it("adds the provider's own charge only for a request on the user's own key (is_byok)", () => {
    const byok = usage({ cost: 0.01, is_byok: true, cost_details: { upstream_inference_cost: 0.2 } });
    readHostUsage(byok, { statedCost: true });
    expect(statedCostOf(byok)).toBeCloseTo(0.21, 12);
    const credits = usage({ cost: 0.01, is_byok: false, cost_details: { upstream_inference_cost: 0.2 } });
    readHostUsage(credits, { statedCost: true });
    expect(statedCostOf(credits)).toBe(0.01);
  });

  it('leaves out what is not an amount of money', () => {
    for (const cost of [-1, Number.NaN, Infinity, '0.1', null]) {
      const odd = usage({ cost });
      readHostUsage(odd, { statedCost: true });
      expect(statedCostOf(odd)).toBeUndefined();
    }
    const oddUpstream = usage({ cost: 0.01, is_byok: true, cost_details: { upstream_inference_cost: -3 } });
    readHostUsage(oddUpstream, { statedCost: true });
    expect(statedCostOf(oddUpstream)).toBe(0.01);
  });
});
