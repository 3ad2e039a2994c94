/**
 * The `azure-openai` provider type: OpenAI models deployed on Azure. Requests go to
 * `{endpoint}/openai/deployments/{deployment}/chat/completions?api-version=...` with an `api-key`
 * header (https://learn.microsoft.com/azure/ai-services/openai/reference); the answers are OpenAI's
 * own format, so the OpenAI adapter's reading of them is reused as it is.
 *
 * A model name in a route (`azure/gpt-4o`) is the deployment's name unless `deployments` maps it.
 *
 * Responses API requests pass through natively to `{endpoint}/openai/responses?api-version=...`
 * with the deployment's name as the body's `model` (no deployment in the path), an API version of
 * its own (`responsesApiVersion`, default `2025-04-01-preview`): see
 * https://learn.microsoft.com/azure/ai-foundry/openai/how-to/responses.
 */
import { type CommonProviderOptions, type Provider, type ProviderContext, type Timeouts, UpstreamHttpClient, defineProviderType, timeoutsSchema } from 'llm-gateway/provider-kit';
import { chatCompletions, createEmbeddings, createResponse, withMaxCompletionTokens } from 'llm-gateway/plugins/openai';

export interface AzureOpenAIOptions extends CommonProviderOptions {
  type: 'azure-openai';
  /** `https://<resource>.openai.azure.com` */
  endpoint: string;
  apiKey: string;
  /** Default `2024-10-21`, the latest generally available inference API. */
  apiVersion?: string;
  /** The API version of Responses API requests. Default `2025-04-01-preview`. */
  responsesApiVersion?: string;
  /** Model name → deployment name, where they differ. */
  deployments?: Record<string, string>;
  headers?: Record<string, string>;
  timeouts?: Partial<Timeouts>;
  maxConnections?: number;
}

export const AZURE_API_VERSION = '2024-10-21';
export const AZURE_RESPONSES_API_VERSION = '2025-04-01-preview';

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
  const deployment = (model: string) => options.deployments?.[model] ?? model;
  const path = (model: string, operation: string) => `/deployments/${encodeURIComponent(deployment(model))}/${operation}?api-version=${version}`;
  const responsesPath = `/responses?api-version=${encodeURIComponent(options.responsesApiVersion ?? AZURE_RESPONSES_API_VERSION)}`;

  return {
    id: context.id,
    type: 'azure-openai',
    nativeProtocols: ['openai-responses'],
    chatCompletions: (input) =>
      input.native?.protocol === 'openai-responses'
        ? createResponse(client, headers, { ...input, body: { ...input.body, model: deployment(input.body.model) } }, responsesPath)
        : chatCompletions(client, headers, input, path(input.body.model, 'chat/completions'), withMaxCompletionTokens(input.body)),
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
      responsesApiVersion: { type: 'string', minLength: 1 },
      deployments: { type: 'object', additionalProperties: { type: 'string', minLength: 1 } },
      headers: { type: 'object', additionalProperties: { type: 'string' } },
      timeouts: timeoutsSchema,
      maxConnections: { type: 'integer', minimum: 1 },
    },
  },
  secretOptions: ['apiKey'],
  create: createAzureOpenAIProvider,
});
