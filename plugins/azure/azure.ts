/**
 * The `azure-openai` provider type: OpenAI models deployed on Azure. Requests go to
 * `{endpoint}/openai/deployments/{deployment}/chat/completions?api-version=...` with an `api-key`
 * header (https://learn.microsoft.com/azure/ai-services/openai/reference); the answers are OpenAI's
 * own format, so the OpenAI adapter's reading of them is reused as it is.
 *
 * A model name in a route (`azure/gpt-4o`) is the deployment's name unless `deployments` maps it.
 */
import { type CommonProviderOptions, type Provider, type ProviderContext, type Timeouts, UpstreamHttpClient, defineProviderType, timeoutsSchema } from 'llm-gateway/provider-kit';
import { chatCompletions, createEmbeddings, withMaxCompletionTokens } from 'llm-gateway/plugins/openai';

export interface AzureOpenAIOptions extends CommonProviderOptions {
  type: 'azure-openai';
  /** `https://<resource>.openai.azure.com` */
  endpoint: string;
  apiKey: string;
  /** Default `2024-10-21`, the latest generally available inference API. */
  apiVersion?: string;
  /** Model name → deployment name, where they differ. */
  deployments?: Record<string, string>;
  headers?: Record<string, string>;
  timeouts?: Partial<Timeouts>;
  maxConnections?: number;
}

export const AZURE_API_VERSION = '2024-10-21';

export function createAzureOpenAIProvider(options: AzureOpenAIOptions, context: ProviderContext): Provider {
  const client = new UpstreamHttpClient({
    provider: context.id,
    baseURL: `${options.endpoint.replace(/\/+$/, '')}/openai`,
    ...(options.timeouts ? { timeouts: options.timeouts } : {}),
    ...(options.maxConnections ? { maxConnections: options.maxConnections } : {}),
    ...(context.dispatcher ? { dispatcher: context.dispatcher } : {}),
  });
  const headers = { 'user-agent': 'llm-gateway', 'api-key': options.apiKey, ...options.headers };
  const version = encodeURIComponent(options.apiVersion ?? AZURE_API_VERSION);
  const path = (model: string, operation: string) => `/deployments/${encodeURIComponent(options.deployments?.[model] ?? model)}/${operation}?api-version=${version}`;

  return {
    id: context.id,
    type: 'azure-openai',
    chatCompletions: (input) => chatCompletions(client, headers, { ...input, body: withMaxCompletionTokens(input.body) }, path(input.body.model, 'chat/completions')),
    embeddings: (input) => createEmbeddings(client, headers, input, path(input.body.model, 'embeddings')),
    close: () => client.close(),
  };
}

export const azureOpenAIType = defineProviderType<AzureOpenAIOptions>({
  type: 'azure-openai',
  schema: {
    type: 'object',
    required: ['endpoint', 'apiKey'],
    additionalProperties: false,
    properties: {
      endpoint: { type: 'string', pattern: '^https?://' },
      apiKey: { type: 'string', minLength: 1 },
      apiVersion: { type: 'string', minLength: 1 },
      deployments: { type: 'object', additionalProperties: { type: 'string', minLength: 1 } },
      headers: { type: 'object', additionalProperties: { type: 'string' } },
      timeouts: timeoutsSchema,
      maxConnections: { type: 'integer', minimum: 1 },
    },
  },
  secretOptions: ['apiKey'],
  create: createAzureOpenAIProvider,
});
