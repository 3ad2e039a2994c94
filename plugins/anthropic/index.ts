/**
 * First-party plugin that contributes the `anthropic` provider type. It is always loaded; configs
 * only name the type in `providers`.
 */
import { definePlugin } from '../../core/plugin.js';
import { anthropicType } from './anthropic.js';

export const anthropicProviders = definePlugin({
  name: 'gateway:anthropic',
  create: () => ({ providerTypes: [anthropicType] as never[] }),
});

export type { AnthropicOptions } from './anthropic.js';
