/** The first-party plugins every gateway loads before the config's own: provider types only. */
import type { GatewayPlugin } from '../core/plugin.js';
import { demoProvider } from './demo/index.js';
import { openaiProviders } from './openai/index.js';

export function builtinPlugins(): GatewayPlugin[] {
  return [openaiProviders(), demoProvider()];
}
