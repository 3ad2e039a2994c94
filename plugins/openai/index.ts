/**
 * First-party plugin that contributes the `openai` and `openai-compatible` provider types.
 * It is always loaded; configs only name the types in `providers`.
 */
import { definePlugin } from '../../core/plugin.js';
import { openAICompatibleType } from './openai-compatible.js';
import { openAIType } from './openai.js';

export const openaiProviders = definePlugin({
  name: 'gateway:openai',
  create: () => ({ providerTypes: [openAIType, openAICompatibleType] as never[] }),
});

export type { OpenAICompatibleOptions } from './openai-compatible.js';
export type { OpenAIOptions } from './openai.js';
