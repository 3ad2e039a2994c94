/**
 * `gateway:anthropic`, always loaded: Anthropic's Messages API on both sides. Toward clients,
 * `/v1/messages` and `/v1/messages/count_tokens`; toward providers, the `anthropic` provider type.
 * An Anthropic client reaching an Anthropic provider is served natively, byte for byte.
 *
 * The protocol's types and its translations to and from OpenAI's format are public, for adapters
 * of other hosts that speak the Messages API.
 */
import { definePlugin } from 'llm-gateway/plugin';
import { countTokensApi } from './api/count-tokens.js';
import { messagesApi } from './api/messages.js';
import { anthropicModelsGate } from './api/models.js';
import { anthropicType } from './provider/anthropic-type.js';

export const anthropicPlugin = definePlugin({
  name: 'gateway:anthropic',
  providerTypes: [anthropicType],
  setup(host) {
    host.frontEnd(messagesApi);
    host.frontEnd(countTokensApi(host));
    // The model list in Anthropic's shape, for Anthropic's clients.
    return { gate: anthropicModelsGate };
  },
});

export { ANTHROPIC_BASE_URL, anthropicType } from './provider/anthropic-type.js';
export type { AnthropicOptions } from './provider/anthropic-type.js';
export { toAnthropicErrorBody } from './protocol/errors.js';
export { toAnthropicRequest, JSON_TOOL } from './protocol/from-openai-request.js';
export type { AnthropicCall, ToAnthropicOptions } from './protocol/from-openai-request.js';
export { AnthropicEventWriter, toAnthropicMessage } from './protocol/from-openai-response.js';
export { toOpenAIRequest } from './protocol/to-openai-request.js';
export type { OpenAITranslation } from './protocol/to-openai-request.js';
export { AnthropicStreamTranslator, toOpenAICompletion } from './protocol/to-openai-response.js';
export { validateMessagesRequest } from './protocol/validate-request.js';
export type * from './protocol/types.js';
