/**
 * A request's token usage, whoever knows it: what the provider reported, or else what the token
 * counter counted on the way (the prompt before the call, each streamed chunk as it passed, so a
 * stream the client cancelled is still accounted for what was generated), or else the kernel's
 * estimate of the prompt. A stream cut short after the provider stated its prompt's size keeps
 * that count (`usageSoFar`), beside the completion counted.
 */
import { defineSlot, estimatePromptTokens, isEstimatedUsage, pricedServiceTier, usageSoFar, type GatewayContext, type Usage } from 'llm-gateway/plugin';

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
  if (ctx.usage) return { usage: ctx.usage, estimated: isEstimatedUsage(ctx.usage) };
  const counted = ctx.get(tokenCountSlot);
  // A stream cut short after the provider stated some counts (its prompt's, in Anthropic's first
  // event and Gemini's every event): those stand for the prompt; the completion is what was
  // counted as it passed, or what the provider said of it so far when that is more.
  const soFar = usageSoFar(ctx);
  const prompt = soFar?.prompt_tokens ?? counted?.promptTokens ?? estimatePromptTokens(ctx.request);
  const completion = Math.max(counted?.completionTokens ?? 0, soFar?.completion_tokens ?? 0);
  const usage: Usage = { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion };
  if (soFar?.prompt_tokens_details) usage.prompt_tokens_details = soFar.prompt_tokens_details;
  // How the answer was served, which its price depends on: as the provider said so far, else (a
  // processing tier, stated on each chunk but kept only with the usage) as the request asked.
  for (const field of SERVED_AS) if (soFar?.[field] !== undefined) usage[field] = soFar[field];
  const asked = pricedServiceTier(ctx.request.service_tier);
  if (usage.service_tier === undefined && asked) usage.service_tier = asked;
  return { usage, estimated: true };
}

/** What a usage says of how its answer was served beside its counts: priced apart (plugins/cost). */
const SERVED_AS = ['service_tier', 'inference_geo', 'server_tool_use'] as const;
