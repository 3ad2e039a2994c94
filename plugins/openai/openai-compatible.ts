/**
 * The `openai-compatible` provider type: any server that speaks OpenAI's chat completions API
 * (OpenAI itself, Groq, Mistral, OpenRouter, DeepSeek, Together, Ollama, vLLM, llama.cpp, LM Studio).
 * Requests and answers pass through untouched except for the model name, so fields the gateway
 * does not know (logprobs, tool calls, new parameters) survive both ways.
 *
 * With `completions: true` the host also takes OpenAI's legacy text completions as written
 * (`POST {baseURL}/completions`, see completions.ts); without it, `/v1/completions` requests reach
 * it as chat.
 */
import { type ChatCompletionRequest, type CommonProviderOptions, type NativeProtocol, type Provider, type ProviderContext, type Timeouts, UpstreamHttpClient, defineProviderType, timeoutsSchema } from 'llm-gateway/provider-kit';
import { chatCompletions } from './chat.js';
import { textCompletions } from './completions.js';
import { createEmbeddings } from './embeddings.js';
import { type HostRules, isOpenRouter } from './host-usage.js';
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
  /**
   * The host serves OpenAI's legacy `POST /completions` (vLLM, llama.cpp, Ollama, LM Studio,
   * DeepSeek, Together, Fireworks do; Groq does not): `/v1/completions` requests go to it as the
   * client wrote them instead of as chat. Default false.
   */
  completions?: boolean;
  /**
   * The host states each answer's cost in USD in its usage (`usage.cost`, as OpenRouter does):
   * that cost is billed in place of the price table's (budgets, the usage log, metrics); and its
   * model list's prices (`pricing`, OpenRouter's) price the models the table lacks, for budgets'
   * reservations and answers without a stated cost. Default: on for openrouter.ai, off elsewhere.
   */
  statedCost?: boolean;
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
    completions: { type: 'boolean', default: false },
    statedCost: { type: 'boolean' },
  },
} as const;

/** What a host speaks beyond chat completions. */
export interface OpenAICompatibleFeatures {
  /**
   * Serve Responses API requests natively at `{baseURL}/responses` (OpenAI's own API has it). Off
   * for `openai-compatible` hosts, which may not: they get the chat translation.
   */
  responses?: boolean;
  /** What a chat request becomes before it goes up (OpenAI's own API: `max_completion_tokens`). */
  chatBody?: (body: ChatCompletionRequest) => ChatCompletionRequest;
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
  const rules: HostRules = { statedCost: options.statedCost ?? isOpenRouter(options.baseURL) };
  const chatBody = features.chatBody;
  const chat: Provider['chatCompletions'] = chatBody ? (input) => chatCompletions(client, headers, input, undefined, chatBody(input.body), rules) : (input) => chatCompletions(client, headers, input, undefined, undefined, rules);
  // Client protocols this host takes as written; the others reach it translated to chat.
  const native: NativeProtocol[] = [...(options.completions ? (['openai-completions'] as const) : []), ...(features.responses ? (['openai-responses'] as const) : [])];
  return {
    id: context.id,
    type: options.type,
    ...(native.length > 0 ? { nativeProtocols: native } : {}),
    chatCompletions: (input) => {
      switch (input.native?.protocol) {
        case 'openai-completions':
          return textCompletions(client, headers, input, rules);
        case 'openai-responses':
          return createResponse(client, headers, input);
        default:
          return chat(input);
      }
    },
    embeddings: (input) => createEmbeddings(client, headers, input, undefined, undefined, rules),
    // A host that states what answers cost (OpenRouter) lists what models cost too.
    ...(options.listModels !== false ? { listModels: (signal: AbortSignal) => listModels(client, headers, signal, rules.statedCost) } : {}),
    close: () => client.close(),
  };
}

export const openAICompatibleType = defineProviderType<OpenAICompatibleOptions>({
  type: 'openai-compatible',
  schema: openAICompatibleSchema,
  secretOptions: ['apiKey'],
  create: createOpenAICompatibleProvider,
});
