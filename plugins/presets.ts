/**
 * Providers from the standard environment variables: one entry per variable present, so a user
 * with `GROQ_API_KEY` set gets a `groq` provider without writing config. Each base URL can be
 * overridden (`GROQ_BASE_URL`), which is also how tests and private deployments point elsewhere.
 */
import type { ProviderConfig } from 'llm-gateway/plugin';

export interface HostedPreset {
  /** Provider id and model prefix: `groq/llama-3.3-70b-versatile`. */
  id: string;
  baseURL: string;
  apiKeyEnv: string;
  baseURLEnv: string;
  /** The host serves OpenAI's legacy `POST /completions` at its base URL (the provider's `completions` option). */
  completions?: true;
}

export interface LocalPreset {
  id: string;
  /** Set to enable the provider; there is no key to detect. */
  baseURLEnv: string;
  /** Optional key for servers started with one (vLLM `--api-key`). */
  apiKeyEnv?: string;
  completions?: true;
}

/**
 * Which hosts serve `/completions` at their base URL: OpenRouter, Together, Fireworks and Cerebras
 * do (their API references list it). Groq and Mistral do not (Mistral's FIM is `/fim/completions`);
 * DeepSeek serves it only under `https://api.deepseek.com/beta`; xAI lists it as deprecated and
 * not for its reasoning models. Those answer `/v1/completions` from chat.
 */
export const HOSTED_PRESETS: readonly HostedPreset[] = [
  { id: 'groq', baseURL: 'https://api.groq.com/openai/v1', apiKeyEnv: 'GROQ_API_KEY', baseURLEnv: 'GROQ_BASE_URL' },
  { id: 'mistral', baseURL: 'https://api.mistral.ai/v1', apiKeyEnv: 'MISTRAL_API_KEY', baseURLEnv: 'MISTRAL_BASE_URL' },
  { id: 'openrouter', baseURL: 'https://openrouter.ai/api/v1', apiKeyEnv: 'OPENROUTER_API_KEY', baseURLEnv: 'OPENROUTER_BASE_URL', completions: true },
  { id: 'deepseek', baseURL: 'https://api.deepseek.com/v1', apiKeyEnv: 'DEEPSEEK_API_KEY', baseURLEnv: 'DEEPSEEK_BASE_URL' },
  { id: 'together', baseURL: 'https://api.together.xyz/v1', apiKeyEnv: 'TOGETHER_API_KEY', baseURLEnv: 'TOGETHER_BASE_URL', completions: true },
  { id: 'fireworks', baseURL: 'https://api.fireworks.ai/inference/v1', apiKeyEnv: 'FIREWORKS_API_KEY', baseURLEnv: 'FIREWORKS_BASE_URL', completions: true },
  { id: 'xai', baseURL: 'https://api.x.ai/v1', apiKeyEnv: 'XAI_API_KEY', baseURLEnv: 'XAI_BASE_URL' },
  { id: 'cerebras', baseURL: 'https://api.cerebras.ai/v1', apiKeyEnv: 'CEREBRAS_API_KEY', baseURLEnv: 'CEREBRAS_BASE_URL', completions: true },
];

/** Every local server here serves `/v1/completions` beside chat. */
export const LOCAL_PRESETS: readonly LocalPreset[] = [
  { id: 'ollama', baseURLEnv: 'OLLAMA_BASE_URL', completions: true },
  { id: 'lmstudio', baseURLEnv: 'LMSTUDIO_BASE_URL', completions: true },
  { id: 'vllm', baseURLEnv: 'VLLM_BASE_URL', apiKeyEnv: 'VLLM_API_KEY', completions: true },
  { id: 'llamacpp', baseURLEnv: 'LLAMACPP_BASE_URL', apiKeyEnv: 'LLAMACPP_API_KEY', completions: true },
];

/**
 * @example
 * // OPENAI_API_KEY=sk-... GROQ_API_KEY=gsk_... OLLAMA_BASE_URL=http://localhost:11434
 * providersFromEnv() // → { openai: {...}, groq: {...}, ollama: {...} }
 */
export function providersFromEnv(env: NodeJS.ProcessEnv = process.env): Record<string, ProviderConfig> {
  const providers: Record<string, ProviderConfig> = {};
  if (env.OPENAI_API_KEY) {
    providers.openai = { type: 'openai', apiKey: env.OPENAI_API_KEY, ...(env.OPENAI_BASE_URL ? { baseURL: env.OPENAI_BASE_URL } : {}) };
  }
  if (env.ANTHROPIC_API_KEY) {
    providers.anthropic = { type: 'anthropic', apiKey: env.ANTHROPIC_API_KEY, ...(env.ANTHROPIC_BASE_URL ? { baseURL: withV1(env.ANTHROPIC_BASE_URL) } : {}) };
  }
  // GOOGLE_API_KEY and GOOGLE_GEMINI_BASE_URL are what Google's gen-ai SDKs and the Gemini CLI read
  // (googleapis/js-genai src/node/node_client.ts); the base URL may be a host root, as they take it.
  const geminiKey = env.GEMINI_API_KEY || env.GOOGLE_API_KEY;
  const geminiBaseURL = env.GEMINI_BASE_URL || env.GOOGLE_GEMINI_BASE_URL;
  if (geminiKey) {
    providers.gemini = { type: 'gemini', apiKey: geminiKey, ...(geminiBaseURL ? { baseURL: geminiBaseURL } : {}) };
  }
  // Azure has no model listing on its inference API: AZURE_OPENAI_DEPLOYMENTS names what to advertise.
  // An endpoint without a key is a resource reached with Microsoft Entra ID, as Microsoft's own
  // samples configure it (AZURE_OPENAI_ENDPOINT, and DefaultAzureCredential for the identity).
  if (env.AZURE_OPENAI_ENDPOINT) {
    const deployments = (env.AZURE_OPENAI_DEPLOYMENTS ?? '').split(',').map((d) => d.trim()).filter(Boolean);
    providers.azure = {
      type: 'azure-openai',
      ...(env.AZURE_OPENAI_API_KEY ? { apiKey: env.AZURE_OPENAI_API_KEY } : { entraId: true }),
      endpoint: env.AZURE_OPENAI_ENDPOINT,
      ...(env.AZURE_OPENAI_API_VERSION ? { apiVersion: env.AZURE_OPENAI_API_VERSION } : {}),
      ...(deployments.length > 0 ? { models: deployments } : {}),
    };
  }
  for (const preset of HOSTED_PRESETS) {
    const apiKey = env[preset.apiKeyEnv];
    if (apiKey) providers[preset.id] = { type: 'openai-compatible', baseURL: env[preset.baseURLEnv] || preset.baseURL, apiKey, ...completions(preset) };
  }
  for (const preset of LOCAL_PRESETS) {
    const baseURL = env[preset.baseURLEnv];
    if (!baseURL) continue;
    const apiKey = preset.apiKeyEnv ? env[preset.apiKeyEnv] : undefined;
    providers[preset.id] = { type: 'openai-compatible', baseURL: withV1(baseURL), ...(apiKey ? { apiKey } : {}), ...completions(preset) };
  }
  return providers;
}

function completions(preset: HostedPreset | LocalPreset): { completions?: true } {
  return preset.completions ? { completions: true } : {};
}

/** Servers are often given as `http://host:port` (as the official SDKs take them); their API lives under `/v1`. */
function withV1(baseURL: string): string {
  const url = new URL(baseURL);
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/v1';
  return url.toString().replace(/\/$/, '');
}
