import type { GatewayPlugin } from 'llm-gateway/plugin';

export interface OllamaApiOptions {
  /**
   * The Ollama version `GET /api/version` reports, for clients that check it before they talk.
   * Default `"0.12.0"`.
   */
  version?: string;
}

/**
 * Serves Ollama's API (`POST /api/chat`, `/api/generate`, `/api/embed`, `/api/embeddings`,
 * `GET /api/tags`, `/api/version`) through the gateway's pipeline.
 * @example
 * plugins: [ollamaApi()]
 */
declare const ollamaApi: (options?: OllamaApiOptions) => GatewayPlugin;
export default ollamaApi;
