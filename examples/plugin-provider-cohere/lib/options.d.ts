import type { CommonProviderOptions, Timeouts, UnsupportedParamsPolicy } from 'llm-gateway/provider-kit';
import type { CohereEmbedInputType } from './wire.js';

/** A `cohere` entry of the config's `providers`. */
export interface CohereOptions extends CommonProviderOptions {
  type: 'cohere';
  /** Sent as `Authorization: Bearer <apiKey>`. A secret: never printed. */
  apiKey: string;
  /** Default `https://api.cohere.com` (the paths `/v2/chat`, `/v2/embed`, `/v1/models` follow it). */
  baseURL?: string;
  /** Sent as `X-Client-Name`. Default `llm-gateway`. */
  clientName?: string;
  /** Extra headers for every request. */
  headers?: Record<string, string>;
  /** Connect, first-byte, idle and total timeouts in ms (the provider kit's defaults otherwise). */
  timeouts?: Partial<Timeouts>;
  maxConnections?: number;
  /** Set false to advertise only the config's `models` instead of asking `GET /v1/models`. Default true. */
  listModels?: boolean;
  /** Cohere's `input_type` for embeddings, which OpenAI's API cannot say. Default `search_document`. */
  embedInputType?: CohereEmbedInputType;
  /** An OpenAI parameter Cohere cannot honour: refuse with a 400 (`error`, the default) or leave it out (`drop`). */
  unsupportedParams?: UnsupportedParamsPolicy;
}
