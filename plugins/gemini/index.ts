/**
 * `gateway:gemini`, always loaded: the `gemini` provider type (Google's Gemini API); configs name
 * it in `providers`.
 */
import { definePlugin } from 'llm-gateway/plugin';
import { geminiType } from './gemini.js';

export const geminiPlugin = definePlugin({ name: 'gateway:gemini', providerTypes: [geminiType] });

export { GEMINI_BASE_URL, geminiType } from './gemini.js';
export type { GeminiOptions } from './gemini.js';
