/**
 * A request's token usage, whoever knows it: what the provider reported, or else what the token
 * counter counted on the way (the prompt before the call, each streamed chunk as it passed, so a
 * stream the client cancelled is still accounted for what was generated), or else the kernel's
 * estimate of the prompt.
 */
import { defineSlot, estimatePromptTokens, type GatewayContext, type Usage } from 'llm-gateway/plugin';

export interface TokenCount {
  promptTokens: number;
  /** Completion tokens counted from the answer as it passed. */
  completionTokens: number;
  /** True when both were counted with the model's own tokenizer. */
  exact: boolean;
}

/** Filled by gateway:token-counter. */
export const tokenCountSlot = defineSlot<TokenCount>('token-counter:count');

export function usageOf(ctx: GatewayContext): { usage: Usage; estimated: boolean } {
  if (ctx.usage) return { usage: ctx.usage, estimated: false };
  const counted = ctx.get(tokenCountSlot);
  const prompt = counted?.promptTokens ?? estimatePromptTokens(ctx.request);
  const completion = counted?.completionTokens ?? 0;
  return { usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion }, estimated: true };
}
