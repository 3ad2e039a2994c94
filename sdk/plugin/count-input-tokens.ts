/**
 * The answer of a token-count API (Anthropic's `POST /v1/messages/count_tokens`, OpenAI's
 * `POST /v1/responses/input_tokens`): the provider's own count when the model's first target can
 * count (Anthropic and Gemini can), else the gateway's estimate, said so in
 * `x-gateway-token-count: estimate`. A front-end calls it from `answer`, so keys, model
 * allow-lists, rate limits, rules and routing have run; nothing is generated, billed or recorded.
 */
import type { GatewayContext } from '../../core/context.js';
import type { PluginHost } from '../../core/plugin.js';
import { estimatePromptTokens } from './estimate-tokens.js';

export async function countInputTokens(host: PluginHost, ctx: GatewayContext): Promise<number> {
  const target = ctx.route?.targets[0];
  const provider = target ? host.provider(target.provider) : undefined;
  if (target && provider?.countTokens) {
    const native = ctx.nativeRequest();
    const speaksNative = native !== undefined && provider.nativeProtocols?.includes(native.protocol) === true;
    return provider.countTokens({ body: { ...ctx.request, model: target.model }, signal: ctx.signal, headers: { 'x-request-id': ctx.id }, ...(speaksNative ? { native } : {}) });
  }
  ctx.http.set('x-gateway-token-count', 'estimate');
  return estimatePromptTokens(ctx.request);
}
