import type { GatewayPlugin } from 'llm-gateway/plugin';
import type { ProviderType } from 'llm-gateway/provider-kit';
import type { CohereOptions } from './lib/options.js';

export type { CohereOptions } from './lib/options.js';
export type { CohereEmbedInputType } from './lib/wire.js';

/** `https://api.cohere.com`, the default `baseURL`. */
export declare const COHERE_BASE_URL: string;

/** The `cohere` provider type, for a plugin of your own that bundles it. */
export declare const cohereType: ProviderType<CohereOptions>;

/**
 * Adds the `cohere` provider type: configs may then name `{ type: 'cohere', apiKey }` in `providers`.
 * It takes no options; each provider entry has its own (see `CohereOptions`).
 * @example
 * providers: { cohere: { type: 'cohere', apiKey: { env: 'COHERE_API_KEY' } } },
 * plugins: [cohere()],
 */
declare const cohere: () => GatewayPlugin;
export default cohere;
