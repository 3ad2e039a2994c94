/**
 * `POST /v1/messages/count_tokens`: the provider's own count when the model's first target can
 * count (Anthropic can), else the gateway's estimate. It runs through the request pipeline like
 * any other request, so keys, model allow-lists, rate limits and rules apply to it; the pipeline's
 * end is the count itself, not a generation, and no usage is billed or recorded.
 */
import { defineFrontEnd, estimatePromptTokens, type GatewayContext } from 'llm-gateway/plugin';
import type { PluginHost } from 'llm-gateway/plugin';
import { toAnthropicErrorBody } from '../protocol/errors.js';
import { toOpenAIRequest } from '../protocol/to-openai-request.js';
import { validateMessagesRequest } from '../protocol/validate-request.js';
import { nativeRequest } from './messages.js';

export function countTokensApi(host: PluginHost) {
  return defineFrontEnd({
    endpoint: 'count_tokens',
    paths: ['/v1/messages/count_tokens'],
    parse(body, http) {
      const anthropic = validateMessagesRequest(body, true);
      const { request } = toOpenAIRequest(anthropic);
      return { operation: 'chat', request, native: nativeRequest(http, anthropic) };
    },
    answer: (ctx) => count(host, ctx),
    renderJson: (_ctx, answer) => answer,
    renderStream: () => {
      throw new Error('count_tokens never streams');
    },
    renderError: (error, requestId) => toAnthropicErrorBody(error, requestId),
  });
}

async function count(host: PluginHost, ctx: GatewayContext): Promise<{ input_tokens: number }> {
  const target = ctx.route?.targets[0];
  const provider = target ? host.provider(target.provider) : undefined;
  if (target && provider?.countTokens) {
    const native = ctx.nativeRequest();
    const speaksNative = native !== undefined && provider.nativeProtocols?.includes(native.protocol) === true;
    const inputTokens = await provider.countTokens({ body: { ...ctx.request, model: target.model }, signal: ctx.signal, headers: { 'x-request-id': ctx.id }, ...(speaksNative ? { native } : {}) });
    return { input_tokens: inputTokens };
  }
  ctx.http.set('x-gateway-token-count', 'estimate');
  return { input_tokens: estimatePromptTokens(ctx.request) };
}
