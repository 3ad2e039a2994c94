/**
 * What the upstream says an answer cost, in USD, where it says so (OpenRouter's `usage.cost`, read
 * by the OpenAI-format adapter from hosts with `statedCost`): gateway:cost bills it in place of its
 * price table. Kept on the usage under a symbol, as the estimate mark is: no upstream can send it
 * in its JSON, and no client, cache entry or log line shows it (JSON writes no symbols).
 */
const STATED_COST = Symbol('llm-gateway:stated-cost-usd');

/** `usage`, with what its upstream says the answer cost in USD. */
export function withStatedCost<T extends object>(usage: T, usd: number): T {
  Object.defineProperty(usage, STATED_COST, { value: usd, configurable: true });
  return usage;
}

/** What the upstream says the answer of `usage` cost in USD; undefined when it did not say. */
export function statedCostOf(usage: object): number | undefined {
  return (usage as { [STATED_COST]?: number })[STATED_COST];
}
