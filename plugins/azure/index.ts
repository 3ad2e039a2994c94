/** `gateway:azure`, always loaded: the `azure-openai` provider type. */
import { definePlugin } from 'llm-gateway/plugin';
import { azureOpenAIType } from './azure.js';

export const azurePlugin = definePlugin({ name: 'gateway:azure', providerTypes: [azureOpenAIType] });

export type { AzureOpenAIOptions } from './azure.js';
