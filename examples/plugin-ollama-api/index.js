// @ts-check
/**
 * llm-gateway-plugin-ollama-api: Ollama's native API (`/api/chat`, `/api/generate`, `/api/tags`,
 * `/api/embed`) served by the gateway, so tools that speak only Ollama's API (IDE integrations,
 * `ollama` client libraries) can use any provider the gateway reaches, with the whole pipeline
 * applied: keys, limits, routing, retry and fallback, usage records.
 *
 * A plugin in two parts: its front-ends (each one API surface: read the request into the
 * pipeline's terms, write the answer back in Ollama's, errors included), and the routes that
 * are not requests to a model (the model list, the version).
 *
 * @example
 * // gateway.config.ts
 * import ollamaApi from 'llm-gateway-plugin-ollama-api';
 * export default defineConfig({ plugins: [ollamaApi()] });
 * // then: OLLAMA_HOST=http://localhost:8080 ollama list
 */
import { definePlugin, modelVisibility } from 'llm-gateway/plugin';
import { chatApi } from './lib/chat.js';
import { embedApi, legacyEmbeddingsApi } from './lib/embed.js';
import { generateApi } from './lib/generate.js';
import { tagsOf } from './lib/tags.js';

/** @typedef {import('./index.js').OllamaApiOptions} OllamaApiOptions */

/** @satisfies {OllamaApiOptions} */
const defaults = { version: '0.12.0' };

/** @type {typeof import('./index.js').default} (checked against the declaration in index.d.ts) */
const ollamaApi = definePlugin(
  /** @type {import('llm-gateway/plugin').PluginSpec<OllamaApiOptions, typeof defaults>} */ ({
    name: 'llm-gateway-plugin-ollama-api',
    schema: {
      type: 'object',
      additionalProperties: false,
      properties: { version: { type: 'string', pattern: '^[0-9]+\\.[0-9]+\\.[0-9]+' } },
    },
    defaults,
    setup(host, options) {
      host.frontEnd(chatApi);
      host.frontEnd(generateApi);
      host.frontEnd(embedApi);
      host.frontEnd(legacyEmbeddingsApi);
      // As `GET /v1/models` lists them: to a key, only the models it may use (gateway:auth's `models`).
      host.route({
        method: 'GET',
        path: '/api/tags',
        handler: (http) => {
          const visible = host.tryResolve(modelVisibility)?.(http);
          const models = host.models.list();
          http.body = tagsOf(visible ? models.filter((model) => visible(model.id)) : models);
        },
      });
      host.route({ method: 'GET', path: '/api/version', handler: (http) => void (http.body = { version: options.version }) });
    },
  }),
);
export default ollamaApi;
