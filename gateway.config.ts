/**
 * The default config: it works out of the box.
 *
 * Every provider whose standard environment variable is set is enabled (OPENAI_API_KEY,
 * ANTHROPIC_API_KEY, GEMINI_API_KEY, AZURE_OPENAI_API_KEY with AZURE_OPENAI_ENDPOINT,
 * GROQ_API_KEY, MISTRAL_API_KEY, OPENROUTER_API_KEY, DEEPSEEK_API_KEY, TOGETHER_API_KEY,
 * FIREWORKS_API_KEY, XAI_API_KEY, CEREBRAS_API_KEY, OLLAMA_BASE_URL, LMSTUDIO_BASE_URL,
 * VLLM_BASE_URL, LLAMACPP_BASE_URL; each hosted one's base URL overridable with <NAME>_BASE_URL).
 * docs/providers.md lists them all. With none set, the built-in demo provider answers, so the
 * first curl works. State (data/gateway.sqlite) and the usage log (data/usage.sqlite) are created on
 * first start.
 *
 * With LLM_GATEWAY_ADMIN_KEY set (16 characters or more; or server.adminKey in this config), the dashboard
 * is at /dashboard (log in with that key) and every /admin/* route needs it; without it the
 * dashboard is off and admin routes answer 403. HOST (default 127.0.0.1), PORT (8080), LOG_LEVEL and
 * LOG_FORMAT (below) set where it listens and what it logs.
 */
import { dashboard, defineConfig, providersFromEnv, usageLogger } from 'llm-gateway';

const providers = providersFromEnv();

export default defineConfig({
  server: { host: process.env.HOST ?? '127.0.0.1' },
  // LOG_LEVEL: debug, info (the default), warn or error; LOG_FORMAT: text (the default) or json.
  logging: {
    level: (['debug', 'info', 'warn', 'error'] as const).find((level) => level === process.env.LOG_LEVEL) ?? 'info',
    format: process.env.LOG_FORMAT === 'json' ? 'json' : 'text',
  },
  providers: Object.keys(providers).length > 0 ? providers : { demo: { type: 'demo' } },
  // One record per request in data/usage.sqlite (GET /admin/usage, /admin/logs), and the dashboard
  // (on only when LLM_GATEWAY_ADMIN_KEY is set). For a gateway others can reach, add auth() first:
  // see docs/keys-and-usage.md.
  plugins: [usageLogger(), dashboard()],
});
