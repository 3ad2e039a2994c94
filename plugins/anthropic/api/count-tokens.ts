/**
 * `POST /v1/messages/count_tokens`: the provider's own count when the model's first target can
 * count (Anthropic can), else the gateway's estimate (`countInputTokens`). It runs through the
 * request pipeline like any other request, so keys, model allow-lists, rate limits and rules apply
 * to it; the pipeline's end is the count itself, not a generation, and no usage is billed or recorded.
 */
import { countInputTokens, defineFrontEnd } from 'llm-gateway/plugin';
import type { PluginHost } from 'llm-gateway/plugin';
import { withoutCarriers } from '../protocol/carried-call-data.js';
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
      return { operation: 'chat', request, native: nativeRequest(http, withoutCarriers(anthropic)) };
    },
    answer: async (ctx) => ({ input_tokens: await countInputTokens(host, ctx) }),
    renderJson: (_ctx, answer) => answer,
    renderStream: () => {
      throw new Error('count_tokens never streams');
    },
    renderError: (error, requestId) => toAnthropicErrorBody(error, requestId),
  });
}
