/**
 * `POST /v1/messages/count_tokens`: the provider's own count when the model's first target can
 * count (Anthropic can), else the gateway's estimate. Counting is free and fast, so it is a plain
 * route beside the pipeline (the auth gate still checks the caller's key).
 */
import type { Context as KoaContext } from 'koa';
import { estimatePromptTokens, readJsonBody, type PluginHost } from 'llm-gateway/plugin';
import { toOpenAIRequest } from '../protocol/to-openai-request.js';
import { validateMessagesRequest } from '../protocol/validate-request.js';
import { nativeRequest } from './messages.js';

export function countTokensRoute(host: PluginHost) {
  return async function countTokens(koa: KoaContext): Promise<void> {
    const body = await readJsonBody(koa.req, host.config.server.bodyLimit);
    delete body.gateway;
    const anthropic = validateMessagesRequest(body, true);
    const { request } = toOpenAIRequest(anthropic);
    const target = host.models.resolve(anthropic.model).targets[0];
    const provider = target ? host.provider(target.provider) : undefined;
    if (target && provider?.countTokens) {
      const controller = new AbortController();
      koa.res.once('close', () => controller.abort());
      const native = provider.nativeProtocols?.includes('anthropic') ? { native: nativeRequest(koa, anthropic) } : {};
      const inputTokens = await provider.countTokens({ body: { ...request, model: target.model }, signal: controller.signal, ...native, headers: { 'x-request-id': koa.requestId } });
      koa.body = { input_tokens: inputTokens };
      return;
    }
    koa.set('x-gateway-token-count', 'estimate');
    koa.body = { input_tokens: estimatePromptTokens(request) };
  };
}
