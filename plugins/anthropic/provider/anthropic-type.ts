/**
 * The `anthropic` provider type: Anthropic's Messages API (or anything that speaks it), reached by
 * OpenAI clients through translation and by Anthropic clients natively.
 */
import {
  GatewayError,
  UpstreamHttpClient,
  defineProviderType,
  jsonHeaders,
  timeoutsSchema,
  type CommonProviderOptions,
  type Provider,
  type ProviderContext,
  type ProviderModel,
  type Timeouts,
  type UnsupportedParamsPolicy,
} from 'llm-gateway/provider-kit';
import { createMessage, upstreamCall, type MessagesSettings } from './messages.js';
import { withConfiguredBetas } from './betas.js';

export interface AnthropicOptions extends CommonProviderOptions {
  type: 'anthropic';
  apiKey: string;
  /** Default `https://api.anthropic.com/v1`. */
  baseURL?: string;
  /** The `anthropic-version` header. Default `2023-06-01`. */
  version?: string;
  /** Beta features to enable on every request (`anthropic-beta`). */
  beta?: string[];
  /** `max_tokens` for OpenAI requests that leave it out (Anthropic requires one). Default 4096. */
  defaultMaxTokens?: number;
  headers?: Record<string, string>;
  timeouts?: Partial<Timeouts>;
  maxConnections?: number;
  listModels?: boolean;
  /** What to do with an OpenAI parameter Anthropic cannot honour: refuse with a 400 (default) or leave it out. */
  unsupportedParams?: UnsupportedParamsPolicy;
}

export const ANTHROPIC_BASE_URL = 'https://api.anthropic.com/v1';
const ANTHROPIC_VERSION = '2023-06-01';

export function createAnthropicProvider(options: AnthropicOptions, context: ProviderContext): Provider {
  const client = new UpstreamHttpClient({
    provider: context.id,
    baseURL: options.baseURL ?? ANTHROPIC_BASE_URL,
    ...(options.timeouts ? { timeouts: options.timeouts } : {}),
    ...(options.maxConnections ? { maxConnections: options.maxConnections } : {}),
    ...(context.dispatcher ? { dispatcher: context.dispatcher } : {}),
  });
  const settings: MessagesSettings = {
    headers: {
      'user-agent': 'llm-gateway',
      'x-api-key': options.apiKey,
      'anthropic-version': options.version ?? ANTHROPIC_VERSION,
      ...(options.beta?.length ? { 'anthropic-beta': options.beta.join(',') } : {}),
      ...options.headers,
    },
    policy: options.unsupportedParams ?? 'error',
    defaultMaxTokens: options.defaultMaxTokens ?? 4096,
  };

  return {
    id: context.id,
    type: 'anthropic',
    nativeProtocols: ['anthropic'],
    chatCompletions: (input) => createMessage(client, settings, input),
    async countTokens(input) {
      const { body } = upstreamCall(client.provider, settings, input);
      // The counting endpoint takes the prompt only: no sampling or output settings.
      const prompt: Record<string, unknown> = {};
      for (const field of ['model', 'messages', 'system', 'tools', 'tool_choice', 'thinking', 'mcp_servers']) {
        if (body[field] !== undefined) prompt[field] = body[field];
      }
      const exchange = await client.send({
        method: 'POST',
        path: '/messages/count_tokens',
        headers: jsonHeaders(false, settings.headers, input.headers, withConfiguredBetas(settings.headers['anthropic-beta'], input.native?.headers)),
        body: JSON.stringify(prompt),
        signal: input,
      });
      await client.expectOk(exchange);
      const answer = (await client.readJson(exchange)) as { input_tokens?: unknown };
      if (typeof answer?.input_tokens !== 'number') {
        throw new GatewayError('upstream', `${client.provider}: the token count answer has no input_tokens`, { provider: client.provider, code: 'upstream_invalid_response' });
      }
      return answer.input_tokens;
    },
    ...(options.listModels !== false ? { listModels: (signal: AbortSignal) => listModels(client, settings.headers, signal) } : {}),
    close: () => client.close(),
  };
}

/** `GET /models`, following `has_more`/`last_id` pages. */
async function listModels(client: UpstreamHttpClient, headers: Record<string, string>, signal: AbortSignal): Promise<ProviderModel[]> {
  const models: ProviderModel[] = [];
  let after: string | undefined;
  for (let page = 0; page < 20; page++) {
    const exchange = await client.send({ method: 'GET', path: `/models?limit=1000${after ? `&after_id=${encodeURIComponent(after)}` : ''}`, headers, signal });
    await client.expectOk(exchange);
    const body = (await client.readJson(exchange)) as { data?: Array<{ id?: unknown; created_at?: unknown }>; has_more?: boolean; last_id?: string };
    for (const model of body.data ?? []) {
      if (typeof model.id !== 'string') continue;
      const created = typeof model.created_at === 'string' ? Math.floor(Date.parse(model.created_at) / 1000) : undefined;
      models.push({ id: model.id, ownedBy: 'anthropic', ...(created !== undefined && Number.isFinite(created) ? { created } : {}) });
    }
    if (!body.has_more || !body.last_id) break;
    after = body.last_id;
  }
  return models;
}

export const anthropicType = defineProviderType<AnthropicOptions>({
  type: 'anthropic',
  schema: {
    type: 'object',
    required: ['apiKey'],
    additionalProperties: false,
    properties: {
      apiKey: { type: 'string', minLength: 1 },
      baseURL: { type: 'string', pattern: '^https?://', default: ANTHROPIC_BASE_URL },
      version: { type: 'string', minLength: 1 },
      beta: { type: 'array', items: { type: 'string', minLength: 1 } },
      defaultMaxTokens: { type: 'integer', minimum: 1 },
      headers: { type: 'object', additionalProperties: { type: 'string' } },
      timeouts: timeoutsSchema,
      maxConnections: { type: 'integer', minimum: 1 },
      listModels: { type: 'boolean', default: true },
    },
  },
  secretOptions: ['apiKey'],
  create: createAnthropicProvider,
});
