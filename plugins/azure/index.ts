/** First-party plugin that contributes the `azure-openai` provider type; always loaded. */
import { definePlugin } from '../../core/plugin.js';
import { azureOpenAIType } from './azure.js';

export const azureProviders = definePlugin({
  name: 'gateway:azure',
  create: () => ({ providerTypes: [azureOpenAIType] as never[] }),
});

export type { AzureOpenAIOptions } from './azure.js';
