/**
 * The same gateway as prompt-guard.config.json, in TypeScript: the plugin's factory is imported,
 * so its options are type-checked in the editor as well as validated at start.
 *
 *   npx llm-gateway start --config examples/prompt-guard.config.ts
 */
import { defineConfig, providersFromEnv } from 'llm-gateway';
import promptGuard from 'llm-gateway-plugin-prompt-guard';

const providers = providersFromEnv();

export default defineConfig({
  providers: Object.keys(providers).length > 0 ? providers : { demo: { type: 'demo' } },
  plugins: [promptGuard({ deny: ['ignore (all )?previous instructions', '\\bsystem prompt\\b'], maxMessages: 50 })],
});
