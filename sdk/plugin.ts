/**
 * `llm-gateway/plugin`: everything needed to write a plugin. The contract (`definePlugin`, the
 * hooks, `PluginHost`), the per-request context and its typed slots, services, events, errors,
 * front-ends (whole API surfaces), the request and answer types the pipeline carries, and the
 * validation helpers the gateway's own plugins use. See docs/plugins.md.
 */
export { definePlugin } from '../core/define-plugin.js';
export type { PluginFactory, PluginSpec, WithDefaults } from '../core/define-plugin.js';
export { isGatewayPlugin } from '../core/plugin.js';
export type {
  Access,
  Authorize,
  DashboardPanel,
  GatewayPlugin,
  HttpGate,
  HttpMethod,
  Next,
  PluginHooks,
  PluginHost,
  ProviderStatusSection,
  RequestMiddleware,
  RouteDefinition,
  UpstreamCall,
  UpstreamHandler,
  UpstreamInterceptor,
} from '../core/plugin.js';

export { GatewayContext, defineSlot } from '../core/context.js';
export type { Attempt, AttemptOutcome, Endpoint, GatewayResponse, GatewayResponseInit, RequestOutcome, RouteDecision, Slot, Timings } from '../core/context.js';
export { defineService } from '../core/services.js';
export { modelVisibility, type ModelVisibility } from '../core/model-visibility.js';
export { escapeHtml } from '../core/html.js';
export { maskUrlPasswords } from '../core/mask-urls.js';
export { SECRET_NAME } from '../core/secret-names.js';
export { newRequestId } from '../core/http/request-id.js';
export type { ServiceOptions, ServiceToken } from '../core/services.js';
export type { EventBus, GatewayEventName, GatewayEvents } from '../core/events.js';
export type { Logger, LogLevel } from '../core/logger.js';

export {
  ERROR_KINDS,
  GatewayError,
  classifyFailure,
  defaultRetryable,
  invalidRequest,
  isGatewayError,
  notFound,
  refusedBeforeSending,
  toGatewayError,
  toOpenAIErrorBody,
  withUpstreamFields,
} from '../core/errors.js';
export type { ErrorKind, FailureClass, GatewayErrorOptions, OpenAIErrorBody } from '../core/errors.js';

export { grantAdmin, grantedAdmin, secretFrom } from '../core/http/access.js';
export { defineFrontEnd } from '../core/http/front-end.js';
export type { FrontEnd, Operation, ParsedRequest } from '../core/http/front-end.js';
export { clientGone } from '../core/http/exchange.js';
export type { RequestOptions } from '../core/http/request-options.js';
export { chunksUnchanged, isMeaningfulChunk, primeStream, tapStream, type PrimeOptions, type StreamTap } from '../core/stream.js';
export { SKIP, STOP, mapStream, type StreamMapping } from '../core/map-stream.js';
export { NEXT_READY, nextReady, type ReadyIterator } from '../core/stream-ready.js';
export { readJsonBody } from '../core/http/read-json-body.js';

export { ConfigError } from '../core/config/config-error.js';
export type { ResolvedConfig, ResolvedVirtualModel } from '../core/config/resolve-config.js';
export type { KernelConfig, ProviderConfig, VirtualModelConfig, VirtualTargetConfig, EnvReference } from '../core/config/kernel-config.js';
export type { ModelLookup } from '../core/routing/resolve-model.js';
export type { ResolvedProviders } from '../core/config/resolve-providers.js';
export type { AuditEntry } from '../core/live/audit.js';
export type { ConfigCheck, EffectiveEntry, LiveConfig, LiveKind, Origin, Overrides } from '../core/live/live-config.js';
export { checkEntryName } from '../core/live/entry-rules.js';
export type { SecretStore } from '../core/live/secrets.js';
export type { DeploymentHealth, HealthTracker } from '../core/health.js';
export { DeploymentMap, UNCONFIGURED_DEPLOYMENTS_CAP, deploymentOf } from '../core/deployment-map.js';
export type { Store } from '../core/store/store.js';
export type { Target, UpstreamResult, ChatResult, JsonResult, RawJson, StreamResult, EmbeddingsResult, Provider, ProviderModel, ListedPrice } from '../core/providers/provider.js';

export { estimatePromptTokens } from './plugin/estimate-tokens.js';
export { countInputTokens } from './plugin/count-input-tokens.js';
export { compileGlob, matchesModelGlob, type GlobMatcher } from './plugin/model-glob.js';
export { outsidePipeline, refusedOnTheApi } from './plugin/outside-pipeline.js';
export { genAiOperationName } from './plugin/gen-ai-names.js';
export { isIsoDate, utcTime } from './plugin/iso-date.js';
export { rarely } from '../core/rarely.js';
export { appendAll } from './plugin/append-all.js';
export { StreamedThinking } from './plugin/streamed-thinking.js';
export { StreamedReasoningDetails } from './plugin/streamed-reasoning-details.js';
export { StreamedToolCalls } from './plugin/streamed-tool-calls.js';
export { pointerToParam, rejectBody } from './plugin/reject-body.js';
export type { RejectBodyOptions } from './plugin/reject-body.js';
export { describeErrors, describeFound, formatIssues, requestValidatorFor, validate, validatorFor } from '../core/validation.js';
export type { ValidationIssue } from '../core/validation.js';
export { attachNative, nativeOf } from '../core/protocol/native.js';
export type { NativeEvent, NativeProtocol, NativeRequest, TranslationLoss } from '../core/protocol/native.js';
export type * from '../core/protocol/openai.js';
export { TOOL_ERROR_PREFIX } from '../core/protocol/openai.js';
export { askForStreamUsage } from '../core/protocol/stream-usage.js';
export { usageSoFar } from '../core/provider-call.js';
export { isEstimatedUsage } from '../core/protocol/estimated-usage.js';
export { statedCostOf } from '../core/protocol/stated-cost.js';
export { reasoningDetailsOf, reasoningTextOf } from '../core/protocol/reasoning-text.js';
export { pricedServiceTier, type PricedServiceTier } from '../core/protocol/service-tier.js';
