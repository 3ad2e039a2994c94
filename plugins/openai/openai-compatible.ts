/**
 * The `openai-compatible` provider type: any server that speaks OpenAI's chat completions API
 * (OpenAI itself, Groq, Mistral, OpenRouter, DeepSeek, Together, Ollama, vLLM, llama.cpp, LM Studio).
 * Requests and answers pass through untouched except for the model name, so fields the gateway
 * does not know (logprobs, tool calls, new parameters) survive both ways.
 */
import { type CommonProviderOptions, type Provider, type ProviderContext, type Timeouts, UpstreamHttpClient, defineProviderType, timeoutsSchema } from 'llm-gateway/provider-kit';
import { chatCompletions } from './chat.js';
import { createEmbeddings } from './embeddings.js';
import { listModels } from './models.js';
import { createResponse } from './responses.js';

export interface OpenAICompatibleOptions extends CommonProviderOptions {
  type: 'openai-compatible' | 'openai';
  /** e.g. `https://api.groq.com/openai/v1`; `/chat/completions` is appended. */
  baseURL: string;
  /** Sent as `Authorization: Bearer <apiKey>`; omit for local servers without auth. */
  apiKey?: string;
  /** Extra headers for every request (e.g. OpenRouter's `HTTP-Referer`). */
  headers?: Record<string, string>;
  timeouts?: Partial<Timeouts>;
  maxConnections?: number;
  /** Set false for servers without `GET /models`; the config's `models` are advertised instead. */
  listModels?: boolean;
}

export const openAICompatibleSchema = {
  type: 'object',
  required: ['baseURL'],
  additionalProperties: false,
  properties: {
    baseURL: { type: 'string', pattern: '^https?://' },
    apiKey: { type: 'string', minLength: 1 },
    headers: { type: 'object', additionalProperties: { type: 'string' } },
    timeouts: timeoutsSchema,
    maxConnections: { type: 'integer', minimum: 1 },
    listModels: { type: 'boolean', default: true },
  },
} as const;

/** What a host speaks beyond chat completions. */
export interface OpenAICompatibleFeatures {
  /**
   * Serve Responses API requests natively at `{baseURL}/responses` (OpenAI's own API has it). Off
   * for `openai-compatible` hosts, which may not: they get the chat translation.
   */
  responses?: boolean;
}

export function createOpenAICompatibleProvider(options: OpenAICompatibleOptions, context: ProviderContext, features: OpenAICompatibleFeatures = {}): Provider {
  const client = new UpstreamHttpClient({
    provider: context.id,
    baseURL: options.baseURL,
    ...(options.timeouts ? { timeouts: options.timeouts } : {}),
    ...(options.maxConnections ? { maxConnections: options.maxConnections } : {}),
    ...(context.dispatcher ? { dispatcher: context.dispatcher } : {}),
  });
  const headers: Record<string, string> = {
    'user-agent': 'llm-gateway',
    ...(options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {}),
    ...options.headers,
  };
  const chat: Provider['chatCompletions'] = (input) => chatCompletions(client, headers, input);
  return {
    id: context.id,
    type: options.type,
    ...(features.responses
      ? { nativeProtocols: ['openai-responses'] as const, chatCompletions: (input) => (input.native?.protocol === 'openai-responses' ? createResponse(client, headers, input) : chat(input)) }
      : { chatCompletions: chat }),
    embeddings: (input) => createEmbeddings(client, headers, input),
    ...(options.listModels !== false ? { listModels: (signal: AbortSignal) => listModels(client, headers, signal) } : {}),
    close: () => client.close(),
  };
}

export const openAICompatibleType = defineProviderType<OpenAICompatibleOptions>({
  type: 'openai-compatible',
  schema: openAICompatibleSchema,
  secretOptions: ['apiKey'],
  create: createOpenAICompatibleProvider,
});
