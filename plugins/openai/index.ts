/**
 * `gateway:openai`, always loaded: OpenAI's API on both sides. Toward clients, the
 * `/v1/chat/completions`, `/v1/completions` (legacy text completions) and `/v1/embeddings`
 * front-ends; toward providers, the `openai` and `openai-compatible` provider types (configs name
 * them in `providers`). The `openai` type also takes Responses API requests (from
 * `gateway:responses`) as written.
 *
 * Its OpenAI-format helpers are public for adapters of hosts that speak OpenAI's format at other
 * URLs (Azure OpenAI uses them).
 */
import { definePlugin } from 'llm-gateway/plugin';
import { chatCompletionsApi } from './api/chat-completions.js';
import { completionsApi } from './api/completions.js';
import { embeddingsApi } from './api/embeddings.js';
import { openAICompatibleType } from './openai-compatible.js';
import { openAIType } from './openai.js';

export const openaiPlugin = definePlugin({
  name: 'gateway:openai',
  providerTypes: [openAIType, openAICompatibleType],
  setup(host) {
    host.frontEnd(chatCompletionsApi);
    host.frontEnd(completionsApi);
    host.frontEnd(embeddingsApi);
  },
});

export { chatCompletions } from './chat.js';
export { textCompletions } from './completions.js';
export type { CompletionPrompt, CompletionRequest, TextCompletion, TextCompletionChoice } from './completions-wire.js';
export { createEmbeddings } from './embeddings.js';
export { listModels } from './models.js';
export { withMaxCompletionTokens, OPENAI_BASE_URL } from './openai.js';
export { openAICompatibleSchema, createOpenAICompatibleProvider } from './openai-compatible.js';
export type { OpenAICompatibleFeatures, OpenAICompatibleOptions } from './openai-compatible.js';
export { createResponse } from './responses.js';
export type { OpenAIOptions } from './openai.js';
