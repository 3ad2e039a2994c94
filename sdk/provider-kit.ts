/**
 * `llm-gateway/provider-kit`: what a provider adapter is made of. The provider contract
 * (`defineProviderType`), an upstream HTTP client with connect, first-byte, idle and total
 * timeouts, server-sent event decoding, the mapping of upstream errors to GatewayErrors that say
 * whether a retry makes sense, the unsupported-parameter policy, native pass-through, and the
 * OpenAI types adapters translate from. See docs/plugins.md#provider-adapters.
 */
export { defineProviderType } from '../core/providers/provider.js';
export type {
  ChatCallInput,
  ChatResult,
  CommonProviderOptions,
  EmbeddingsCallInput,
  EmbeddingsResult,
  JsonResult,
  ListedPrice,
  PassThroughHint,
  Provider,
  ProviderContext,
  ProviderModel,
  ProviderType,
  RawJson,
  StreamResult,
  Target,
  UpstreamResult,
} from '../core/providers/provider.js';
export { rejectUnsupported, unsupportedParam, unsupportedParamsSchema } from '../core/providers/unsupported.js';
export { allowedOnly, allowedToolsOf } from './provider-kit/allowed-tools.js';
export type { AllowedTools } from './provider-kit/allowed-tools.js';
export type { UnsupportedParamsPolicy } from '../core/providers/unsupported.js';

export { DEFAULT_TIMEOUTS, UpstreamHttpClient, timeoutsSchema } from './provider-kit/http-client.js';
export type { HttpClientOptions, Timeouts, UpstreamErrorReader, UpstreamExchange, UpstreamRequest } from './provider-kit/http-client.js';
export type { AbortSource } from '../core/request-abort.js';
export { decodeSse } from './provider-kit/sse-decoder.js';
export { jsonHeaders } from './provider-kit/json-headers.js';
export { encodedEmbedding } from './provider-kit/embedding-encoding.js';
export { credentialsRefused, readErrorBody, reportedUpstreamError, retryAfterSeconds, upstreamHttpError } from './provider-kit/upstream-errors.js';

export { attachNative, nativeOf } from '../core/protocol/native.js';
export { estimatedUsage } from '../core/protocol/estimated-usage.js';
export { withStatedCost } from '../core/protocol/stated-cost.js';
export type { NativeEvent, NativeProtocol, NativeRequest, TranslationLoss } from '../core/protocol/native.js';
export { GatewayError, invalidRequest, isGatewayError, notFound, toGatewayError } from '../core/errors.js';
export type { GatewayErrorOptions } from '../core/errors.js';
export { primeStream } from '../core/stream.js';
export { AS_PARSED, type UnparsedChunk } from '../core/unparsed-preamble.js';
export type { Logger } from '../core/logger.js';
export type * from '../core/protocol/openai.js';
export { TOOL_ERROR_PREFIX } from '../core/protocol/openai.js';
