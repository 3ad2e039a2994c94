/**
 * Cohere behind the gateway, through the llm-gateway-plugin-provider-cohere package: OpenAI and
 * Anthropic clients reach Command models as `cohere/<model>` or as the virtual model `command`.
 *
 *   COHERE_API_KEY=... npx llm-gateway start --config examples/cohere.config.ts
 */
import { defineConfig } from 'llm-gateway';
import cohere from 'llm-gateway-plugin-provider-cohere';

export default defineConfig({
  providers: {
    cohere: {
      type: 'cohere',
      apiKey: { env: 'COHERE_API_KEY' },
      baseURL: { env: 'COHERE_BASE_URL', default: 'https://api.cohere.com' },
    },
  },
  models: { command: { targets: ['cohere/command-a-03-2025'] } },
  plugins: [cohere()],
});
