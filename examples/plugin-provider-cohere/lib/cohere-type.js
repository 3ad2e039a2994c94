// @ts-check
/**
 * The `cohere` provider type: Cohere's own API, reached by every client of the gateway through
 * translation (to-cohere.js, from-cohere.js, stream.js).
 *
 * - Chat: `POST {baseURL}/v2/chat`, `stream: true` for server-sent events
 *   (https://docs.cohere.com/reference/chat, https://docs.cohere.com/reference/chat-stream).
 * - Embeddings: `POST {baseURL}/v2/embed` with float vectors, at most 96 texts a call
 *   (https://docs.cohere.com/reference/embed).
 * - Models: `GET {baseURL}/v1/models`, page after page; only models with a chat or embed endpoint
 *   (cohere-python src/cohere/models/client.py).
 * - The key goes in `Authorization: Bearer`; `X-Client-Name` names the gateway to Cohere.
 */
import { UpstreamHttpClient, decodeSse, defineProviderType, invalidRequest, rejectUnsupported, timeoutsSchema, unsupportedParam } from 'llm-gateway/provider-kit';
import { cohereHttpError } from './errors.js';
import { malformed, toOpenAICompletion } from './from-cohere.js';
import { translateCohereStream } from './stream.js';
import { toCohereRequest } from './to-cohere.js';

/** @typedef {import('llm-gateway/provider-kit').ChatCallInput} ChatCallInput */
/** @typedef {import('llm-gateway/provider-kit').ChatResult} ChatResult */
/** @typedef {import('llm-gateway/provider-kit').EmbeddingsCallInput} EmbeddingsCallInput */
/** @typedef {import('llm-gateway/provider-kit').EmbeddingsResponse} EmbeddingsResponse */
/** @typedef {import('llm-gateway/provider-kit').JsonResult<EmbeddingsResponse>} EmbeddingsResult */
/** @typedef {import('llm-gateway/provider-kit').ProviderContext} ProviderContext */
/** @typedef {import('llm-gateway/provider-kit').ProviderModel} ProviderModel */
/** @typedef {import('llm-gateway/provider-kit').Provider} Provider */
/** @typedef {import('llm-gateway/provider-kit').UnsupportedParamsPolicy} UnsupportedParamsPolicy */
/** @typedef {import('./options.js').CohereOptions} CohereOptions */
/** @typedef {import('./wire.js').CohereChatResponse} CohereChatResponse */
/** @typedef {import('./wire.js').CohereEmbedRequest} CohereEmbedRequest */
/** @typedef {import('./wire.js').CohereEmbedResponse} CohereEmbedResponse */
/** @typedef {import('./wire.js').CohereModelList} CohereModelList */

export const COHERE_BASE_URL = 'https://api.cohere.com';

/** Cohere embeds at most this many texts a call (https://docs.cohere.com/reference/embed). */
const MAX_TEXTS_PER_CALL = 96;

/** Most pages of models to read: far more than Cohere serves, but a bound all the same. */
const MAX_MODEL_PAGES = 20;

/** OpenAI embeddings fields that change nothing about the vectors, or that are translated. */
const EMBEDDINGS_FIELDS = new Set(['model', 'input', 'encoding_format', 'dimensions', 'user']);

const schema = {
  type: 'object',
  required: ['apiKey'],
  additionalProperties: false,
  properties: {
    apiKey: { type: 'string', minLength: 1 },
    baseURL: { type: 'string', pattern: '^https?://', default: COHERE_BASE_URL },
    clientName: { type: 'string', minLength: 1, maxLength: 100, default: 'llm-gateway' },
    headers: { type: 'object', additionalProperties: { type: 'string' } },
    timeouts: timeoutsSchema,
    maxConnections: { type: 'integer', minimum: 1 },
    listModels: { type: 'boolean', default: true },
    embedInputType: { enum: ['search_document', 'search_query', 'classification', 'clustering'], default: 'search_document' },
  },
};

/**
 * @typedef {object} Settings
 * @property {UpstreamHttpClient} client
 * @property {Record<string, string>} headers
 * @property {UnsupportedParamsPolicy} policy
 * @property {NonNullable<CohereOptions['embedInputType']>} embedInputType
 */

/** The `cohere` provider type, for `definePlugin({ providerTypes: [cohereType] })`. */
export const cohereType = defineProviderType(
  /** @type {import('llm-gateway/provider-kit').ProviderType<CohereOptions>} */ ({
    type: 'cohere',
    schema,
    secretOptions: ['apiKey'],
    create: createCohereProvider,
  }),
);

/**
 * @param {CohereOptions} options
 * @param {ProviderContext} context
 * @returns {Provider}
 */
function createCohereProvider(options, context) {
  const client = new UpstreamHttpClient({
    provider: context.id,
    baseURL: options.baseURL ?? COHERE_BASE_URL,
    ...(options.timeouts ? { timeouts: options.timeouts } : {}),
    ...(options.maxConnections ? { maxConnections: options.maxConnections } : {}),
    ...(context.dispatcher ? { dispatcher: context.dispatcher } : {}),
  });
  /** @type {Settings} */
  const settings = {
    client,
    headers: {
      'user-agent': 'llm-gateway',
      'x-client-name': options.clientName ?? 'llm-gateway',
      ...options.headers,
      authorization: `Bearer ${options.apiKey}`,
    },
    policy: options.unsupportedParams ?? 'error',
    embedInputType: options.embedInputType ?? 'search_document',
  };
  return {
    id: context.id,
    type: 'cohere',
    chatCompletions: (input) => chat(settings, input),
    embeddings: (input) => embed(settings, input),
    ...(options.listModels !== false ? { listModels: (/** @type {AbortSignal} */ signal) => listModels(settings, signal) } : {}),
    close: () => client.close(),
  };
}

// ---- Chat ----------------------------------------------------------------------------------------

/**
 * @param {Settings} settings
 * @param {ChatCallInput} input
 * @returns {Promise<ChatResult>}
 */
async function chat(settings, input) {
  const { client } = settings;
  const provider = client.provider;
  const model = input.body.model;
  const streaming = input.body.stream === true;
  const body = { ...toCohereRequest(input.body, { provider, policy: settings.policy }), stream: streaming };
  const exchange = await client.send({
    method: 'POST',
    path: '/v2/chat',
    headers: { ...settings.headers, ...input.headers, 'content-type': 'application/json', accept: streaming ? 'text/event-stream' : 'application/json' },
    body: JSON.stringify(body),
    signal: input,
  });
  await client.expectOk(exchange, cohereHttpError);

  if (!streaming) {
    const answer = await client.readJson(exchange);
    if (typeof answer !== 'object' || answer === null) throw malformed(provider, 'the answer is not a JSON object');
    return { kind: 'json', status: exchange.status, headers: exchange.headers, body: toOpenAICompletion(/** @type {CohereChatResponse} */ (answer), { provider, model }) };
  }

  const contentType = String(exchange.headers['content-type'] ?? '');
  if (!contentType.includes('text/event-stream')) {
    exchange.release();
    exchange.body.destroy();
    throw malformed(provider, `a stream was asked for but the answer is ${contentType || 'untyped'}`);
  }
  return { kind: 'stream', status: exchange.status, headers: exchange.headers, chunks: translateCohereStream(decodeSse(exchange), { provider, model }) };
}

// ---- Embeddings ----------------------------------------------------------------------------------

/**
 * @param {Settings} settings
 * @param {EmbeddingsCallInput} input
 * @returns {Promise<EmbeddingsResult>}
 */
async function embed(settings, input) {
  const { client } = settings;
  const provider = client.provider;
  const request = input.body;
  const texts = embeddingTexts(provider, request.input);
  for (const field of Object.keys(request)) {
    if (!EMBEDDINGS_FIELDS.has(field) && request[field] !== undefined && request[field] !== null) {
      rejectUnsupported(settings.policy, provider, field, 'the Cohere embed API has no such parameter');
    }
  }
  /** @type {CohereEmbedRequest} */
  const body = {
    model: request.model,
    texts,
    input_type: settings.embedInputType,
    embedding_types: ['float'],
    ...(typeof request.dimensions === 'number' ? { output_dimension: request.dimensions } : {}),
  };
  const exchange = await client.send({
    method: 'POST',
    path: '/v2/embed',
    headers: { ...settings.headers, ...input.headers, 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(body),
    signal: input,
  });
  await client.expectOk(exchange, cohereHttpError);
  const answer = /** @type {CohereEmbedResponse | null} */ (await client.readJson(exchange));
  const vectors = answer?.embeddings?.float;
  if (!Array.isArray(vectors) || vectors.length !== texts.length || vectors.some((v) => !Array.isArray(v))) {
    throw malformed(provider, `the embed answer does not hold ${texts.length} float vector(s)`);
  }
  const base64 = request.encoding_format === 'base64';
  const tokens = answer?.meta?.billed_units?.input_tokens ?? 0;
  return {
    kind: 'json',
    status: exchange.status,
    headers: exchange.headers,
    body: {
      object: 'list',
      data: vectors.map((vector, index) => ({ object: 'embedding', index, embedding: base64 ? toBase64(vector) : vector })),
      model: request.model,
      usage: { prompt_tokens: tokens, total_tokens: tokens },
    },
  };
}

/**
 * The texts to embed: Cohere embeds text, not token arrays, and at most 96 texts a call.
 * @param {string} provider
 * @param {EmbeddingsCallInput['body']['input']} input
 * @returns {string[]}
 */
function embeddingTexts(provider, input) {
  const texts = typeof input === 'string' ? [input] : input;
  if (!Array.isArray(texts) || !texts.every((item) => typeof item === 'string')) {
    // Dropping the input is no answer, so this is refused whatever the policy.
    throw unsupportedParam(provider, 'input', 'Cohere embeds text, not token arrays');
  }
  if (texts.length === 0) throw invalidRequest(`'input' must not be empty.`, 'input');
  if (texts.length > MAX_TEXTS_PER_CALL) throw invalidRequest(`${provider}: Cohere embeds at most ${MAX_TEXTS_PER_CALL} inputs a call (found ${texts.length}).`, 'input');
  return /** @type {string[]} */ (texts);
}

/**
 * `encoding_format: 'base64'`: little-endian float32s, base64, as OpenAI's SDKs ask for by default.
 * @param {number[]} values
 */
function toBase64(values) {
  return Buffer.from(new Float32Array(values).buffer).toString('base64');
}

// ---- Models --------------------------------------------------------------------------------------

/**
 * @param {Settings} settings
 * @param {AbortSignal} signal
 * @returns {Promise<ProviderModel[]>}
 */
async function listModels(settings, signal) {
  const { client } = settings;
  /** @type {ProviderModel[]} */
  const models = [];
  /** @type {string | undefined} */
  let pageToken;
  for (let page = 0; page < MAX_MODEL_PAGES; page++) {
    const query = `page_size=1000${pageToken ? `&page_token=${encodeURIComponent(pageToken)}` : ''}`;
    const exchange = await client.send({ method: 'GET', path: `/v1/models?${query}`, headers: { ...settings.headers, accept: 'application/json' }, signal });
    await client.expectOk(exchange, cohereHttpError);
    const body = /** @type {CohereModelList | null} */ (await client.readJson(exchange));
    if (typeof body !== 'object' || body === null || (body.models !== undefined && !Array.isArray(body.models))) throw malformed(client.provider, 'the model list has no models array');
    for (const model of body.models ?? []) {
      if (typeof model?.name !== 'string') continue;
      const endpoints = Array.isArray(model.endpoints) ? model.endpoints : [];
      if (endpoints.includes('chat') || endpoints.includes('embed')) models.push({ id: model.name, ownedBy: 'cohere' });
    }
    if (typeof body.next_page_token !== 'string' || body.next_page_token === '') break;
    pageToken = body.next_page_token;
  }
  return models;
}
