/** First-party plugin that contributes the `demo` provider type. Always loaded. */
import { definePlugin } from '../../core/plugin.js';
import { demoType } from './demo-provider.js';

export const demoProvider = definePlugin({
  name: 'gateway:demo',
  create: () => ({ providerTypes: [demoType] as never[] }),
});

export { demoReply, DEMO_MODELS } from './demo-provider.js';
