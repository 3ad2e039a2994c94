/**
 * Usage an adapter made up because the provider reports none (Gemini's embeddings: about four
 * characters a token), marked so that the usage record says `tokensEstimated` rather than passing
 * a guess off as the provider's count. The mark is a symbol: the client's JSON never shows it.
 */
const ESTIMATED = Symbol('llm-gateway:usage-estimated');

/** `usage`, marked as the adapter's estimate. */
export function estimatedUsage<T extends object>(usage: T): T {
  Object.defineProperty(usage, ESTIMATED, { value: true });
  return usage;
}

export function isEstimatedUsage(usage: object): boolean {
  return (usage as { [ESTIMATED]?: boolean })[ESTIMATED] === true;
}
