/**
 * First-party plugin that contributes the `gemini` provider type (Google's Gemini API). It is
 * always loaded; configs only name the type in `providers`.
 */
import { definePlugin } from '../../core/plugin.js';
import { geminiType } from './gemini.js';

export const geminiProviders = definePlugin({
  name: 'gateway:gemini',
  create: () => ({ providerTypes: [geminiType] as never[] }),
});

export { GEMINI_BASE_URL, geminiType } from './gemini.js';
export type { GeminiOptions } from './gemini.js';
