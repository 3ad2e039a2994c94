/**
 * `llm-gateway`: what a `gateway.config.ts` imports. `defineConfig`, the first-party plugins and
 * provider presets, `createGateway` for embedding the gateway in a program, and (re-exported from
 * `llm-gateway/plugin`) everything needed to write a plugin. Adapters also use
 * `llm-gateway/provider-kit`, stateful plugins `llm-gateway/store`, and tests `llm-gateway/testing`.
 */
import { createGateway as createKernel, type CreateGatewayOptions, type Gateway } from './core/gateway.js';
import type { KernelConfig } from './core/config/kernel-config.js';
import type { GatewayPlugin } from './core/plugin.js';
import type { NamedPlugins } from './core/config/resolve-config.js';
import { anthropicPlugin } from './plugins/anthropic/index.js';
import { auth } from './plugins/auth/index.js';
import { cache } from './plugins/cache/index.js';
import { azurePlugin } from './plugins/azure/index.js';
import { circuitBreaker } from './plugins/circuit-breaker/index.js';
import { cost } from './plugins/cost/index.js';
import { dashboard } from './plugins/dashboard/index.js';
import { demoPlugin } from './plugins/demo/index.js';
import { geminiPlugin } from './plugins/gemini/index.js';
import { openaiPlugin } from './plugins/openai/index.js';
import { responsesPlugin, type ResponsesOptions } from './plugins/responses/index.js';
import { rateLimits } from './plugins/rate-limits/index.js';
import { retry } from './plugins/retry/index.js';
import { routing } from './plugins/routing/index.js';
import { rules } from './plugins/rules/index.js';
import { tokenCounter } from './plugins/token-counter/index.js';
import { usageLogger, usageLogSection } from './plugins/usage-logger/index.js';
import { metrics } from './plugins/metrics/index.js';
import { tracing } from './plugins/tracing/index.js';
import { accessLog } from './plugins/access-log/index.js';
import { alerts } from './plugins/alerts/index.js';

/**
 * The shape of `gateway.config.ts`: the kernel's sections, plus `usageLog`, which the usage logger
 * reads (an alias of its `url` option). A plugin package with a section of its own adds it by
 * declaration merging: `declare module 'llm-gateway' { interface GatewayConfig { mySection?: ... } }`.
 */
export interface GatewayConfig extends KernelConfig {
  /**
   * Where the usage logger keeps one record per request: `sqlite://<file>` (default
   * `sqlite://data/usage.sqlite`) or `postgres://user@host:5432/db` for several replicas.
   */
  usageLog?: string;
  /** How the built-in Responses API keeps stored responses (`retentionDays`, `maxStoredBytes`). */
  responses?: ResponsesOptions;
}

/** An identity function that gives editors the config's types, as in Vite. */
export function defineConfig(config: GatewayConfig): GatewayConfig {
  return config;
}

/**
 * The first-party plugins every gateway loads before the config's own: the APIs it serves (OpenAI's
 * chat completions and Responses, Anthropic's Messages) and the provider types configs may name.
 */
export function builtinPlugins(): GatewayPlugin[] {
  return [openaiPlugin(), anthropicPlugin(), responsesPlugin(), geminiPlugin(), azurePlugin(), demoPlugin()];
}

/** First-party plugins a config may name as a string, e.g. `["gateway:retry", { "attempts": 2 }]` in JSON. */
export const NAMED_PLUGINS: NamedPlugins = {
  'gateway:auth': auth,
  'gateway:token-counter': tokenCounter,
  'gateway:cost': cost,
  'gateway:usage-logger': usageLogger,
  'gateway:routing': routing,
  'gateway:rules': rules,
  'gateway:retry': retry,
  'gateway:circuit-breaker': circuitBreaker,
  'gateway:rate-limits': rateLimits,
  'gateway:metrics': metrics,
  'gateway:tracing': tracing,
  'gateway:access-log': accessLog,
  'gateway:alerts': alerts,
  'gateway:cache': cache,
  'gateway:dashboard': dashboard,
};

/** Builds a gateway with the first-party APIs and provider types loaded. Call `listen()` to serve. */
export function createGateway(config: GatewayConfig, options: Omit<CreateGatewayOptions, 'builtins' | 'namedPlugins' | 'configSections'> = {}): Promise<Gateway> {
  return createKernel(config, { ...options, builtins: builtinPlugins(), namedPlugins: NAMED_PLUGINS, configSections: usageLogSection });
}
export type { Gateway, CreateGatewayOptions };

export type { KernelConfig, ProviderConfig, VirtualModelConfig, VirtualTargetConfig, PluginEntry, ServerOptions, CatalogOptions, EnvReference } from './core/config/kernel-config.js';
export { loadConfigFile } from './core/config/load-config.js';
export type { LoadedConfig } from './core/config/load-config.js';
export * from './sdk/plugin.js';

export { providersFromEnv, HOSTED_PRESETS, LOCAL_PRESETS } from './plugins/presets.js';
export { openaiPlugin } from './plugins/openai/index.js';
export type { OpenAICompatibleOptions, OpenAIOptions } from './plugins/openai/index.js';
export { anthropicPlugin } from './plugins/anthropic/index.js';
export type { AnthropicOptions } from './plugins/anthropic/index.js';
export { geminiPlugin } from './plugins/gemini/index.js';
export type { GeminiOptions } from './plugins/gemini/index.js';
export { responsesPlugin, RESPONSES_DEFAULTS } from './plugins/responses/index.js';
export type { ResponsesOptions } from './plugins/responses/index.js';
export { azurePlugin } from './plugins/azure/index.js';
export type { AzureOpenAIOptions } from './plugins/azure/index.js';
export { demoPlugin } from './plugins/demo/index.js';
export { retry } from './plugins/retry/index.js';
export type { RetryOptions } from './plugins/retry/index.js';
export { rules, ruleRouter } from './plugins/rules/index.js';
export type { Rule, RulesOptions, RuleRouter, RuleDecision } from './plugins/rules/index.js';
export { routing } from './plugins/routing/index.js';
export type { RoutingOptions, RoutingHints, Strategy } from './plugins/routing/index.js';
export { STRATEGIES } from './plugins/routing/index.js';
export { circuitBreaker, circuitBreakerState } from './plugins/circuit-breaker/index.js';
export type { CircuitBreakerOptions, CircuitBreakerState } from './plugins/circuit-breaker/index.js';
export { rateLimits, limitHeadroom } from './plugins/rate-limits/index.js';
export type { RateLimitsOptions, LimitHeadroom } from './plugins/rate-limits/index.js';
export { auth, authenticatedKey, callerKeySlot, keyAdmin, KeyStore } from './plugins/auth/index.js';
export type { AuthOptions, CallerKey, GatewayKey, KeyAdmin, KeyPatch, KeyView, NewKey } from './plugins/auth/index.js';
export { dashboard, dashboardStatus, DASHBOARD_PATH } from './plugins/dashboard/index.js';
export type { DashboardOptions, DashboardStatus } from './plugins/dashboard/index.js';
export { cost, defaultPricing, pricing } from './plugins/cost/index.js';
export type { CostOptions, Pricing } from './plugins/cost/index.js';
export { tokenCounter, tokenCountSlot, usageOf } from './plugins/token-counter/index.js';
export type { TokenCounterOptions, TokenCount } from './plugins/token-counter/index.js';
export { cache, cacheAdmin, cacheHitSlot, cacheOutcome, FIELDS_OUTSIDE_THE_KEY } from './plugins/cache/index.js';
export type { CacheOptions, CacheAdmin, CacheHitInfo, CacheOutcome, CacheStats, ClearFilter } from './plugins/cache/index.js';
export { usageLogger, usageLogService } from './plugins/usage-logger/index.js';
export type { UsageLoggerOptions, UsageRecord, UsageLog, UsageQuery, UsageAggregate, LogQuery } from './plugins/usage-logger/index.js';
export { metrics, metricsEndpoint } from './plugins/metrics/index.js';
export type { MetricsOptions, MetricsEndpoint } from './plugins/metrics/index.js';
export { tracing } from './plugins/tracing/index.js';
export type { TracingOptions } from './plugins/tracing/index.js';
export { accessLog, accessLine } from './plugins/access-log/index.js';
export type { AccessLogOptions, AccessLine } from './plugins/access-log/index.js';
export { alerts } from './plugins/alerts/index.js';
export type { AlertsOptions, Alert, BudgetAlert, CircuitAlert, KeysAlert, WebhookOptions } from './plugins/alerts/index.js';
