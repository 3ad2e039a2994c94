/**
 * `POST /v1/responses/input_tokens` (`client.responses.inputTokens.count` in openai-node): how many
 * input tokens a Responses request would take, `{object: 'response.input_tokens', input_tokens}`.
 * The body is a `POST /v1/responses` body; its conversation is loaded and translated as for a
 * response. The count is the provider's own where the model's first target can count (Anthropic,
 * Gemini), else the gateway's estimate (`countInputTokens`). It runs through the pipeline, so keys,
 * allow-lists, limits and routing apply; nothing is generated, billed or recorded.
 */
import { countInputTokens, defineFrontEnd, type FrontEnd, type PluginHost } from 'llm-gateway/plugin';
import { validateResponsesRequest } from '../protocol/validate-request.js';
import type { ResponseStore } from '../store/response-store.js';
import { translatedConversation } from './conversation.js';

export function inputTokensApi(host: PluginHost, store: ResponseStore): FrontEnd {
  return defineFrontEnd({
    endpoint: 'responses.input_tokens',
    paths: ['/v1/responses/input_tokens'],
    async parse(body, http) {
      const request = { ...validateResponsesRequest(body), stream: false };
      const { translation, native } = await translatedConversation(request, store, http);
      // What a translation leaves out is not refused here: a count is asked of what would be sent.
      return { operation: 'chat', request: translation.request, native };
    },
    answer: async (ctx) => ({ object: 'response.input_tokens', input_tokens: await countInputTokens(host, ctx) }),
    renderJson: (_ctx, answer) => answer,
    renderStream() {
      throw new Error('input_tokens never streams');
    },
  });
}
