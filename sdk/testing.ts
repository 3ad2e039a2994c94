/**
 * `llm-gateway/testing`: how the gateway's own plugins are tested, for plugin authors. A gateway
 * started in-process on a free port, and mock upstreams over real sockets that speak OpenAI's chat
 * and Responses formats and Anthropic's (`startMockUpstream`) or Gemini's (`startMockGemini`): they
 * echo by default, record what they received, and play queued scenarios (errors, delays, hangs,
 * resets, streams cut or stalled mid-way). See docs/plugins.md#testing-a-plugin.
 */
export { startGateway } from './testing/start-gateway.js';
export type { RunningGateway, StartGatewayOptions } from './testing/start-gateway.js';
export { chunk, completion, mockProvider, startMockUpstream, wordChunks } from './testing/mock-upstream.js';
export type { ListedModel, MockOptions, MockUpstream, RecordedRequest, Scenario, StreamScenario } from './testing/mock-upstream.js';
export { textCompletion, textCompletionChunks } from './testing/text-completion-wire.js';
export { anthropicError, anthropicMessage, anthropicStreamEvents, sseEvent } from './testing/anthropic-wire.js';
export type { AnthropicBlockSpec, AnthropicUsageSpec } from './testing/anthropic-wire.js';
export { responsesObject, responsesSseEvent, responsesStreamEvents } from './testing/responses-wire.js';
export type { ResponsesItemSpec, ResponsesSpec } from './testing/responses-wire.js';
export { geminiResponse, mockGeminiProvider, startMockGemini } from './testing/mock-gemini.js';
export type { GeminiScenario, MockGemini, MockGeminiOptions, RecordedGeminiRequest } from './testing/mock-gemini.js';
