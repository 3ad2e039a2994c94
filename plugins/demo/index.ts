/** `gateway:demo`, always loaded: the `demo` provider type, which answers without any account. */
import { definePlugin } from 'llm-gateway/plugin';
import { demoType } from './demo-provider.js';

export const demoPlugin = definePlugin({ name: 'gateway:demo', providerTypes: [demoType] });

export { demoReply, DEMO_MODELS } from './demo-provider.js';
