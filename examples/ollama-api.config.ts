/**
 * Ollama's API in front of every provider the environment configures (the demo provider when none
 * is): tools that speak only Ollama's API, the `ollama` CLI and its client libraries point at the
 * gateway instead, and get its keys, limits, routing, retries and usage records.
 *
 *   npx llm-gateway start --config examples/ollama-api.config.ts
 *   OLLAMA_HOST=http://localhost:8080 ollama list
 */
import { defineConfig, providersFromEnv } from 'llm-gateway';
import ollamaApi from 'llm-gateway-plugin-ollama-api';

const providers = providersFromEnv();

export default defineConfig({
  providers: Object.keys(providers).length > 0 ? providers : { demo: { type: 'demo' } },
  plugins: [ollamaApi()],
});
