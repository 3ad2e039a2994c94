/**
 * The `azure-openai` provider type: OpenAI models deployed on Azure. The answers are OpenAI's own
 * format, so the OpenAI adapter's reading of them is reused as it is. Two APIs
 * (https://learn.microsoft.com/azure/ai-foundry/openai/api-version-lifecycle):
 * - the dated one (the default): `{endpoint}/openai/deployments/{deployment}/chat/completions?api-version=...`,
 *   the deployment in the path; Responses API requests go to `{endpoint}/openai/responses?api-version=...`
 *   with the deployment as the body's `model` and an API version of their own (`responsesApiVersion`);
 * - `apiVersion: 'v1'` (or an endpoint that ends in `/openai/v1`): `{endpoint}/openai/v1/chat/completions`,
 *   `/embeddings` and `/responses`, no API version, the deployment as the body's `model`.
 *
 * It authenticates with a key (`api-key` header) or, with `entraId`, with a Microsoft Entra ID token
 * (`Authorization: Bearer`; entra-id.ts). A model name in a route (`azure/gpt-4o`) is the
 * deployment's name unless `deployments` maps it.
 */
import { ConfigError, type ChatCompletionRequest } from 'llm-gateway/plugin';
import { type CommonProviderOptions, type Provider, type ProviderContext, type Timeouts, UpstreamHttpClient, defineProviderType, timeoutsSchema } from 'llm-gateway/provider-kit';
import { chatCompletions, createEmbeddings, createResponse, withMaxCompletionTokens } from 'llm-gateway/plugins/openai';
import { COGNITIVE_SERVICES_SCOPE, entraIdTokens } from './entra-id.js';

interface AzureOpenAIBase extends CommonProviderOptions {
  type: 'azure-openai';
  /** `https://<resource>.openai.azure.com` (or `…/openai/v1`, which means the v1 API). */
  endpoint: string;
  /** A dated version (default `2024-10-21`, the latest generally available), or `v1`. */
  apiVersion?: string;
  /** The API version of Responses API requests on the dated API. Default `2025-04-01-preview`. */
  responsesApiVersion?: string;
  /** Model name → deployment name, where they differ. */
  deployments?: Record<string, string>;
  headers?: Record<string, string>;
  timeouts?: Partial<Timeouts>;
  maxConnections?: number;
}

/** A key, or Microsoft Entra ID (`true`: Azure's public cloud; a sovereign cloud names its scope): one of the two. */
export type AzureOpenAIOptions = AzureOpenAIBase & ({ apiKey: string; entraId?: never } | { entraId: true | { scope: string }; apiKey?: never });

export const AZURE_API_VERSION = '2024-10-21';
export const AZURE_RESPONSES_API_VERSION = '2025-04-01-preview';
const V1_PATH = /\/openai\/v1\/*$/;
const OPENAI_PATH = /\/openai\/*$/;

/** Where each operation goes, and whether the deployment is named in the body rather than the path. */
interface AzureApi {
  baseURL: string;
  chatPath(deployment: string): string;
  embeddingsPath(deployment: string): string;
  responsesPath: string;
  deploymentInBody: boolean;
}

export function createAzureOpenAIProvider(options: AzureOpenAIOptions, context: ProviderContext): Provider {
  const api = azureApi(options, context.id);
  const client = new UpstreamHttpClient({
    provider: context.id,
    baseURL: api.baseURL,
    ...(options.timeouts ? { timeouts: options.timeouts } : {}),
    ...(options.maxConnections ? { maxConnections: options.maxConnections } : {}),
    ...(context.dispatcher ? { dispatcher: context.dispatcher } : {}),
  });
  const headersFor = authentication(options, context);
  const deployment = (model: string) => options.deployments?.[model] ?? model;
  const named = <Body extends { model: string }>(body: Body): Body => (api.deploymentInBody ? { ...body, model: deployment(body.model) } : body);

  return {
    id: context.id,
    type: 'azure-openai',
    nativeProtocols: ['openai-responses'],
    chatCompletions: async (input) => {
      const headers = await headersFor();
      if (input.native?.protocol === 'openai-responses') return createResponse(client, headers, { ...input, body: { ...input.body, model: deployment(input.body.model) } }, api.responsesPath);
      return chatCompletions(client, headers, input, api.chatPath(deployment(input.body.model)), named<ChatCompletionRequest>(withMaxCompletionTokens(input.body)));
    },
    embeddings: async (input) => createEmbeddings(client, await headersFor(), input, api.embeddingsPath(deployment(input.body.model)), named(input.body)),
    close: () => client.close(),
  };
}

function azureApi(options: AzureOpenAIOptions, id: string): AzureApi {
  // Every Azure OpenAI URL starts with /openai; an endpoint copied with it (or with /openai/v1) is the resource's.
  const endpoint = options.endpoint.replace(/\/+$/, '');
  const v1ByEndpoint = V1_PATH.test(endpoint);
  const resource = endpoint.replace(V1_PATH, '').replace(OPENAI_PATH, '');
  if (v1ByEndpoint && options.apiVersion !== undefined && options.apiVersion !== 'v1') {
    throw new ConfigError('invalid provider config', [`config/providers/${id}/endpoint ends in /openai/v1, the v1 API, but apiVersion is ${JSON.stringify(options.apiVersion)}: leave apiVersion out, or give the resource's endpoint without /openai/v1`]);
  }
  if (v1ByEndpoint || options.apiVersion === 'v1') {
    return { baseURL: `${resource}/openai/v1`, chatPath: () => '/chat/completions', embeddingsPath: () => '/embeddings', responsesPath: '/responses', deploymentInBody: true };
  }
  const version = encodeURIComponent(options.apiVersion ?? AZURE_API_VERSION);
  const path = (operation: string) => (deployment: string) => `/deployments/${encodeURIComponent(deployment)}/${operation}?api-version=${version}`;
  return {
    baseURL: `${resource}/openai`,
    chatPath: path('chat/completions'),
    embeddingsPath: path('embeddings'),
    responsesPath: `/responses?api-version=${encodeURIComponent(options.responsesApiVersion ?? AZURE_RESPONSES_API_VERSION)}`,
    deploymentInBody: false,
  };
}

/** The headers of each request: fixed with a key; with Entra ID, the token entra-id.ts holds (renewed there before it expires). */
function authentication(options: AzureOpenAIOptions, context: ProviderContext): () => Promise<Record<string, string>> | Record<string, string> {
  if ((options.apiKey === undefined) === (options.entraId === undefined)) {
    throw new ConfigError('invalid provider config', [
      `config/providers/${context.id} needs apiKey or entraId (Microsoft Entra ID), one of the two: ${options.apiKey === undefined ? 'neither is given' : 'both are given (to drop a key the config file gives from a live change, send "apiKey": null)'}`,
    ]);
  }
  if (options.entraId === undefined) {
    const headers = { 'user-agent': 'llm-gateway', 'api-key': options.apiKey, ...options.headers };
    return () => headers;
  }
  const scope = options.entraId === true ? COGNITIVE_SERVICES_SCOPE : options.entraId.scope;
  const token = entraIdTokens(context.id, scope, context.logger);
  return async () => ({ 'user-agent': 'llm-gateway', authorization: `Bearer ${await token()}`, ...options.headers });
}

export const azureOpenAIType = defineProviderType<AzureOpenAIOptions>({
  type: 'azure-openai',
  schema: {
    type: 'object',
    required: ['endpoint'],
    additionalProperties: false,
    properties: {
      endpoint: { type: 'string', pattern: '^https?://' },
      apiKey: { type: 'string', minLength: 1 },
      entraId: { anyOf: [{ const: true }, { type: 'object', required: ['scope'], additionalProperties: false, properties: { scope: { type: 'string', pattern: '^https?://' } } }] },
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
