/** The first-party plugins every gateway loads before the config's own: provider types only. */
import type { NamedPlugins } from '../core/config/resolve-config.js';
import type { GatewayPlugin } from '../core/plugin.js';
import { auth } from './auth/index.js';
import { cost } from './cost/index.js';
import { tokenCounter } from './token-counter/index.js';
import { usageLogger } from './usage-logger/index.js';
import { circuitBreaker } from './circuit-breaker/index.js';
import { rateLimits } from './rate-limits/index.js';
import { retry } from './retry/index.js';
import { routing } from './routing/index.js';
import { rules } from './rules/index.js';
import { demoProvider } from './demo/index.js';
import { openaiProviders } from './openai/index.js';
import { anthropicProviders } from './anthropic/index.js';
import { azureProviders } from './azure/index.js';
import { geminiProviders } from './gemini/index.js';

export function builtinPlugins(): GatewayPlugin[] {
  return [openaiProviders(), anthropicProviders(), geminiProviders(), azureProviders(), demoProvider()];
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
};
