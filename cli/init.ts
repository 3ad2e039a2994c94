/** `llm-gateway init`: write a starter `gateway.config.ts` in the current folder. */
import { existsSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const STARTER_CONFIG = `import { defineConfig, providersFromEnv } from 'llm-gateway';

// Providers come from the standard variables (OPENAI_API_KEY, GROQ_API_KEY, MISTRAL_API_KEY,
// OPENROUTER_API_KEY, OLLAMA_BASE_URL, ...). Add your own entries below; secrets can be read
// with { env: 'NAME' } so they never sit in this file.
const providers = providersFromEnv();

export default defineConfig({
  server: { port: 8080, host: '127.0.0.1' },
  providers: Object.keys(providers).length > 0 ? providers : { demo: { type: 'demo' } },
  models: {
    // A virtual model clients can ask for by name: "model": "default".
    // default: { targets: ['groq/llama-3.3-70b-versatile', 'openai/gpt-4o-mini'] },
  },
  plugins: [
    // Plugins run in this order; npm packages can be named: 'llm-gateway-plugin-prompt-guard'.
  ],
});
`;

export function initCommand(options: { force: boolean }): number {
  const target = resolve('gateway.config.ts');
  if (existsSync(target) && !options.force) {
    process.stderr.write(`${target} already exists; use --force to overwrite it\n`);
    return 1;
  }
  writeFileSync(target, STARTER_CONFIG);
  process.stdout.write(`wrote ${target}\nnext: npx llm-gateway check, then npx llm-gateway start\n`);
  return 0;
}
