/** The `openai` provider type: OpenAI's own API, with its organization and project headers. */
import { defineProviderType, type CommonProviderOptions } from '../../core/providers/provider.js';
import type { Timeouts } from '../../core/upstream/http-client.js';
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

export const openAIType = defineProviderType<OpenAIOptions>({
  type: 'openai',
  schema: {
    ...openAICompatibleSchema,
    required: ['apiKey'],
    properties: {
      ...openAICompatibleSchema.properties,
      baseURL: { ...openAICompatibleSchema.properties.baseURL, default: OPENAI_BASE_URL },
      organization: { type: 'string', minLength: 1 },
      project: { type: 'string', minLength: 1 },
    },
  },
  secretOptions: ['apiKey'],
  create: (options, context) =>
    createOpenAICompatibleProvider(
      {
        ...options,
        baseURL: options.baseURL ?? OPENAI_BASE_URL,
        headers: {
          ...(options.organization ? { 'openai-organization': options.organization } : {}),
          ...(options.project ? { 'openai-project': options.project } : {}),
          ...options.headers,
        },
      },
      context,
    ),
});
