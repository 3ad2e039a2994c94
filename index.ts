/**
 * The public API of `llm-gateway`: what configs, plugins and embedders import by package name.
 */
import { createGateway as createKernel, type CreateGatewayOptions, type Gateway } from './core/gateway.js';
import type { GatewayConfig } from './core/config/define-config.js';
import { builtinPlugins, NAMED_PLUGINS } from './plugins/builtins.js';

/** Builds a gateway with the first-party provider types loaded. Call `listen()` to serve. */
export function createGateway(config: GatewayConfig, options: Omit<CreateGatewayOptions, 'builtins' | 'namedPlugins'> = {}): Promise<Gateway> {
  return createKernel(config, { ...options, builtins: builtinPlugins(), namedPlugins: NAMED_PLUGINS });
}
export type { Gateway, CreateGatewayOptions };

export { defineConfig } from './core/config/define-config.js';
export type { GatewayConfig, ProviderConfig, VirtualModelConfig, VirtualTargetConfig, PluginEntry, ServerOptions, EnvReference } from './core/config/define-config.js';
export { loadConfigFile } from './core/config/load-config.js';
export { ConfigError } from './core/config/config-error.js';

export { definePlugin, isGatewayPlugin } from './core/plugin.js';
export type { GatewayPlugin, PluginHost, PluginSpec, RequestMiddleware, UpstreamCall, UpstreamHandler, UpstreamInterceptor, RouteDefinition, DashboardPanel, Next } from './core/plugin.js';
export { GatewayContext, defineSlot } from './core/context.js';
export type { Slot, Attempt, RouteDecision, GatewayResponse, RequestOutcome, Endpoint, Timings } from './core/context.js';
export { defineService } from './core/services.js';
export type { ServiceToken } from './core/services.js';
export type { EventBus, GatewayEvents } from './core/events.js';
export type { Logger } from './core/logger.js';

export { GatewayError, isGatewayError, invalidRequest, notFound, ERROR_KINDS, toOpenAIErrorBody } from './core/errors.js';
export type { ErrorKind, GatewayErrorOptions } from './core/errors.js';

export { defineProviderType } from './core/providers/provider.js';
export type { Provider, ProviderType, ProviderModel, ProviderContext, CommonProviderOptions, Target, ChatCallInput, ChatResult, JsonResult, StreamResult } from './core/providers/provider.js';
export { UpstreamHttpClient, DEFAULT_TIMEOUTS } from './core/upstream/http-client.js';
export type { Timeouts } from './core/upstream/http-client.js';
export { decodeSse } from './core/upstream/sse-decoder.js';
export { primeStream } from './core/stream.js';
export type * from './core/protocol/openai.js';

export { providersFromEnv, HOSTED_PRESETS, LOCAL_PRESETS } from './plugins/presets.js';
export { retry } from './plugins/retry/index.js';
export { rules, ruleRouter, estimatePromptTokens } from './plugins/rules/index.js';
export type { Rule, RulesOptions, RuleRouter, RuleDecision } from './plugins/rules/index.js';
export { rateLimits } from './plugins/rate-limits/index.js';
export { auth, callerKeySlot, KeyStore } from './plugins/auth/index.js';
export type { AuthOptions, CallerKey, GatewayKey, KeyView, NewKey } from './plugins/auth/index.js';
export { stateStore } from './core/store/store.js';
export { cost, defaultPricing } from './plugins/cost/index.js';
export type { CostOptions } from './plugins/cost/index.js';
export { tokenCounter } from './plugins/token-counter/index.js';
export type { TokenCounterOptions } from './plugins/token-counter/index.js';
export { usageLogger, usageLogService } from './plugins/usage-logger/index.js';
export type { UsageLoggerOptions } from './plugins/usage-logger/index.js';
export { usageOf, tokenCountSlot } from './core/usage/usage-of.js';
export type { UsageRecord } from './core/usage/record.js';
export type { UsageLog, UsageQuery, UsageAggregate, LogQuery } from './core/usage/usage-log.js';
export type { Store } from './core/store/store.js';
export type { Counters } from './core/store/counters.js';
export { pricing } from './core/pricing.js';
export type { Pricing } from './core/pricing.js';
export type { RateLimitsOptions } from './plugins/rate-limits/index.js';
export { routing } from './plugins/routing/index.js';
export type { RoutingOptions } from './plugins/routing/index.js';
export { STRATEGIES } from './plugins/routing/strategies.js';
export type { Strategy } from './plugins/routing/strategies.js';
export { healthTracker, HealthTracker } from './core/health.js';
export type { DeploymentHealth } from './core/health.js';
export { modelResolver } from './core/routing/resolve-model.js';
export type { RoutingHints } from './core/routing/hints.js';
export { circuitBreaker, circuitBreakerState } from './plugins/circuit-breaker/index.js';
export type { CircuitBreakerOptions, CircuitBreakerState } from './plugins/circuit-breaker/index.js';
export type { RetryOptions } from './plugins/retry/index.js';
export { classifyFailure } from './core/errors.js';
export type { FailureClass } from './core/errors.js';
export type { OpenAICompatibleOptions, OpenAIOptions } from './plugins/openai/index.js';
