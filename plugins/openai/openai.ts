/**
 * The `openai` provider type: OpenAI's own API, with its organization and project headers. Besides
 * chat completions it takes Responses API requests as written (`POST {baseURL}/responses`) and
 * serves the legacy text completions too (`gpt-3.5-turbo-instruct`, `davinci-002`), so
 * `/v1/completions` requests always go to it as written.
 */
import type { ChatCompletionRequest } from 'llm-gateway/plugin';
import { type CommonProviderOptions, type Timeouts, defineProviderType } from 'llm-gateway/provider-kit';
import { createOpenAICompatibleProvider, openAICompatibleSchema } from './openai-compatible.js';

export interface OpenAIOptions extends CommonProviderOptions {
  type: 'openai';
  apiKey: string;
  /** Default `https://api.openai.com/v1`. */
  baseURL?: string;
  organization?: string;
  project?: string;
  headers?: Record<string, string>;
  timeouts?: Partial<Timeouts>;
  maxConnections?: number;
  listModels?: boolean;
}

export const OPENAI_BASE_URL = 'https://api.openai.com/v1';

/** OpenAI always serves text completions: there is nothing to switch on. */
const { completions: _always, ...sharedProperties } = openAICompatibleSchema.properties;

export const openAIType = defineProviderType<OpenAIOptions>({
  type: 'openai',
  schema: {
    ...openAICompatibleSchema,
    required: ['apiKey'],
    properties: {
      ...sharedProperties,
      baseURL: { ...openAICompatibleSchema.properties.baseURL, default: OPENAI_BASE_URL },
      organization: { type: 'string', minLength: 1 },
      project: { type: 'string', minLength: 1 },
    },
  },
  secretOptions: ['apiKey'],
  create: (options, context) => {
    const provider = createOpenAICompatibleProvider(
      {
        ...options,
        baseURL: options.baseURL ?? OPENAI_BASE_URL,
        completions: true,
        headers: {
          ...(options.organization ? { 'openai-organization': options.organization } : {}),
          ...(options.project ? { 'openai-project': options.project } : {}),
          ...options.headers,
        },
      },
      context,
      { responses: true, chatBody: withMaxCompletionTokens },
    );
    return { ...provider, type: 'openai' };
  },
});

/**
 * OpenAI's reasoning models refuse the old `max_tokens`; every OpenAI model accepts
 * `max_completion_tokens`, so the gateway sends that (clients translated from Anthropic send `max_tokens`).
 */
export function withMaxCompletionTokens(body: ChatCompletionRequest): ChatCompletionRequest {
  if (body.max_tokens === undefined || body.max_tokens === null || body.max_completion_tokens != null) return body;
  const { max_tokens, ...rest } = body;
  return { ...rest, max_completion_tokens: max_tokens };
}
