// @ts-check
/**
 * llm-gateway-plugin-provider-cohere: Cohere (https://cohere.com) as a provider type, so a config
 * can name `{ type: 'cohere', apiKey }` in `providers` and every client of the gateway (OpenAI's
 * and Anthropic's SDKs, any front-end) can reach Cohere's Command and Embed models.
 *
 * It is written as a third party would write it, with the public SDK only: `defineProviderType`,
 * the upstream HTTP client, the server-sent event decoder, the upstream error mapping and the
 * unsupported-parameter policy all come from `llm-gateway/provider-kit`.
 *
 * @example
 * // gateway.config.ts
 * import cohere from 'llm-gateway-plugin-provider-cohere';
 * export default defineConfig({
 *   providers: { cohere: { type: 'cohere', apiKey: { env: 'COHERE_API_KEY' } } },
 *   plugins: [cohere()],
 * });
 */
import { definePlugin } from 'llm-gateway/plugin';
import { cohereType } from './lib/cohere-type.js';

export { cohereType, COHERE_BASE_URL } from './lib/cohere-type.js';

/** @type {typeof import('./index.js').default} (checked against the declaration in index.d.ts) */
const cohere = definePlugin({ name: 'llm-gateway-plugin-provider-cohere', providerTypes: [cohereType] });
export default cohere;
