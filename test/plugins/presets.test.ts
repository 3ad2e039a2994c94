import { describe, expect, it } from 'vitest';
import { providersFromEnv } from '../../plugins/presets.js';

describe('providersFromEnv', () => {
  it.each([
    [{}, {}],
    [{ OPENAI_API_KEY: 'sk-1' }, { openai: { type: 'openai', apiKey: 'sk-1' } }],
    [{ OPENAI_API_KEY: 'sk-1', OPENAI_BASE_URL: 'https://proxy.test/v1' }, { openai: { type: 'openai', apiKey: 'sk-1', baseURL: 'https://proxy.test/v1' } }],
    [{ GROQ_API_KEY: 'g' }, { groq: { type: 'openai-compatible', baseURL: 'https://api.groq.com/openai/v1', apiKey: 'g' } }],
    [{ GROQ_API_KEY: 'g', GROQ_BASE_URL: 'http://127.0.0.1:9/v1' }, { groq: { type: 'openai-compatible', baseURL: 'http://127.0.0.1:9/v1', apiKey: 'g' } }],
    [{ GROQ_BASE_URL: 'http://127.0.0.1:9/v1' }, {}],
    [{ MISTRAL_API_KEY: 'm' }, { mistral: { type: 'openai-compatible', baseURL: 'https://api.mistral.ai/v1', apiKey: 'm' } }],
    [{ OPENROUTER_API_KEY: 'o' }, { openrouter: { type: 'openai-compatible', baseURL: 'https://openrouter.ai/api/v1', apiKey: 'o', completions: true } }],
    [{ TOGETHER_API_KEY: 't' }, { together: { type: 'openai-compatible', baseURL: 'https://api.together.xyz/v1', apiKey: 't', completions: true } }],
    [{ FIREWORKS_API_KEY: 'f' }, { fireworks: { type: 'openai-compatible', baseURL: 'https://api.fireworks.ai/inference/v1', apiKey: 'f', completions: true } }],
    [{ DEEPSEEK_API_KEY: 'd' }, { deepseek: { type: 'openai-compatible', baseURL: 'https://api.deepseek.com/v1', apiKey: 'd' } }],
    [{ OLLAMA_BASE_URL: 'http://localhost:11434' }, { ollama: { type: 'openai-compatible', baseURL: 'http://localhost:11434/v1', completions: true } }],
    [{ OLLAMA_BASE_URL: 'http://gpu-box:11434/v1' }, { ollama: { type: 'openai-compatible', baseURL: 'http://gpu-box:11434/v1', completions: true } }],
    [{ VLLM_BASE_URL: 'http://localhost:8000', VLLM_API_KEY: 'v' }, { vllm: { type: 'openai-compatible', baseURL: 'http://localhost:8000/v1', apiKey: 'v', completions: true } }],
    [{ LLAMACPP_BASE_URL: 'http://localhost:8080' }, { llamacpp: { type: 'openai-compatible', baseURL: 'http://localhost:8080/v1', completions: true } }],
    [{ OPENAI_API_KEY: '' }, {}],
    [{ ANTHROPIC_API_KEY: 'a' }, { anthropic: { type: 'anthropic', apiKey: 'a' } }],
    [{ ANTHROPIC_API_KEY: 'a', ANTHROPIC_BASE_URL: 'http://127.0.0.1:9' }, { anthropic: { type: 'anthropic', apiKey: 'a', baseURL: 'http://127.0.0.1:9/v1' } }],
    [{ AZURE_OPENAI_API_KEY: 'z' }, {}],
    // No key: Microsoft Entra ID (DefaultAzureCredential finds the identity).
    [{ AZURE_OPENAI_ENDPOINT: 'https://r.openai.azure.com', AZURE_OPENAI_API_VERSION: 'v1' }, { azure: { type: 'azure-openai', entraId: true, endpoint: 'https://r.openai.azure.com', apiVersion: 'v1' } }],
    [{ AZURE_OPENAI_ENDPOINT: 'https://r.openai.azure.com', AZURE_OPENAI_API_KEY: '' }, { azure: { type: 'azure-openai', entraId: true, endpoint: 'https://r.openai.azure.com' } }],
    [{ GEMINI_API_KEY: 'gm' }, { gemini: { type: 'gemini', apiKey: 'gm' } }],
    [{ GOOGLE_API_KEY: 'gg', GEMINI_BASE_URL: 'http://127.0.0.1:9/v1beta' }, { gemini: { type: 'gemini', apiKey: 'gg', baseURL: 'http://127.0.0.1:9/v1beta' } }],
    // What Google's gen-ai SDKs and the Gemini CLI read: a host root, which the provider completes.
    [{ GEMINI_API_KEY: 'gm', GOOGLE_GEMINI_BASE_URL: 'https://generativelanguage.googleapis.com' }, { gemini: { type: 'gemini', apiKey: 'gm', baseURL: 'https://generativelanguage.googleapis.com' } }],
    [{ GEMINI_API_KEY: 'gm', GEMINI_BASE_URL: 'http://a.test', GOOGLE_GEMINI_BASE_URL: 'http://b.test' }, { gemini: { type: 'gemini', apiKey: 'gm', baseURL: 'http://a.test' } }],
    [
      { AZURE_OPENAI_API_KEY: 'z', AZURE_OPENAI_ENDPOINT: 'https://r.openai.azure.com', AZURE_OPENAI_API_VERSION: '2025-01-01-preview', AZURE_OPENAI_DEPLOYMENTS: 'gpt-4o, o3-mini' },
      { azure: { type: 'azure-openai', apiKey: 'z', endpoint: 'https://r.openai.azure.com', apiVersion: '2025-01-01-preview', models: ['gpt-4o', 'o3-mini'] } },
    ],
  ])('%j', (env, providers) => expect(providersFromEnv(env)).toEqual(providers));

  it('enables every provider present at once, in a stable order', () => {
    expect(Object.keys(providersFromEnv({ XAI_API_KEY: 'x', OPENAI_API_KEY: 'o', LMSTUDIO_BASE_URL: 'http://l:1234' }))).toEqual(['openai', 'xai', 'lmstudio']);
  });
});
