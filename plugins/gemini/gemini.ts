/**
 * The `gemini` provider type: Google's Gemini API (generativelanguage.googleapis.com), reached by
 * OpenAI clients through translation (to-gemini.ts, from-gemini.ts, stream.ts).
 *
 * - Chat: `POST {baseURL}/models/{model}:generateContent`, or `:streamGenerateContent?alt=sse` for a
 *   stream (without `alt=sse` Gemini streams one JSON array, not server-sent events).
 * - Token counts: `POST /models/{model}:countTokens` with the whole translated request.
 * - Embeddings: `POST /models/{model}:batchEmbedContents`, one request per input.
 * - Models: `GET /models`, page after page.
 *
 * The key goes in the `x-goog-api-key` header, never in the URL (`?key=` also works upstream, but
 * URLs end up in logs, traces and error messages).
 *
 * Checked against https://ai.google.dev/api/generate-content, https://ai.google.dev/api/tokens,
 * https://ai.google.dev/api/embeddings, https://ai.google.dev/api/models and
 * https://ai.google.dev/gemini-api/docs/api-key (the x-goog-api-key header).
 */
import { type EmbeddingsRequest, type EmbeddingsResponse, GatewayError, invalidRequest } from 'llm-gateway/plugin';
import { type ChatCallInput, type ChatResult, type CommonProviderOptions, type EmbeddingsCallInput, type JsonResult, type Provider, type ProviderContext, type ProviderModel, type Timeouts, type UnsupportedParamsPolicy, UpstreamHttpClient, decodeSse, defineProviderType, encodedEmbedding, estimatedUsage, jsonHeaders, rejectUnsupported, timeoutsSchema, unsupportedParam } from 'llm-gateway/provider-kit';
import { answerRoute } from './answer-function.js';
import { geminiHttpError } from './errors.js';
import { toOpenAICompletion } from './from-gemini.js';
import { GeminiStreamTranslator, translateGeminiStream } from './stream.js';
import { toGeminiRequest } from './to-gemini.js';
import type { GeminiBatchEmbedRequest, GeminiBatchEmbedResponse, GeminiCountTokensRequest, GeminiCountTokensResponse, GeminiModelList, GeminiResponse } from './wire.js';

export interface GeminiOptions extends CommonProviderOptions {
  type: 'gemini';
  /** Sent as `x-goog-api-key`. */
  apiKey: string;
  /**
   * Default `https://generativelanguage.googleapis.com/v1beta`. A host root
   * (`https://generativelanguage.googleapis.com`, as Google's SDKs take `GOOGLE_GEMINI_BASE_URL`)
   * gets `/v1beta` added, the version those SDKs use by default.
   */
  baseURL?: string;
  /** Extra headers for every request. */
  headers?: Record<string, string>;
  timeouts?: Partial<Timeouts>;
  maxConnections?: number;
  /** Set false to advertise only the config's `models`. */
  listModels?: boolean;
  /** What to do with an OpenAI parameter Gemini cannot honour: refuse with a 400 (default) or leave it out. */
  unsupportedParams?: UnsupportedParamsPolicy;
}

export const GEMINI_BASE_URL = 'https://generativelanguage.googleapis.com/v1beta';

/** Most pages of models to read: far more than Google serves, but a bound all the same. */
const MAX_MODEL_PAGES = 20;

/** Generation methods that make a model worth advertising: chat, or embeddings. */
const USEFUL_METHODS = new Set(['generateContent', 'embedContent']);

export const geminiSchema = {
  type: 'object',
  required: ['apiKey'],
  additionalProperties: false,
  properties: {
    apiKey: { type: 'string', minLength: 1 },
    baseURL: { type: 'string', pattern: '^https?://', default: GEMINI_BASE_URL },
    headers: { type: 'object', additionalProperties: { type: 'string' } },
    timeouts: timeoutsSchema,
    maxConnections: { type: 'integer', minimum: 1 },
    listModels: { type: 'boolean', default: true },
  },
} as const;

interface Settings {
  client: UpstreamHttpClient;
  headers: Record<string, string>;
  policy: UnsupportedParamsPolicy;
}

export function createGeminiProvider(options: GeminiOptions, context: ProviderContext): Provider {
  const client = new UpstreamHttpClient({
    provider: context.id,
    baseURL: geminiBaseURL(options.baseURL ?? GEMINI_BASE_URL),
    ...(options.timeouts ? { timeouts: options.timeouts } : {}),
    ...(options.maxConnections ? { maxConnections: options.maxConnections } : {}),
    ...(context.dispatcher ? { dispatcher: context.dispatcher } : {}),
  });
  const settings: Settings = {
    client,
    headers: { 'user-agent': 'llm-gateway', ...options.headers, 'x-goog-api-key': options.apiKey },
    policy: options.unsupportedParams ?? 'error',
  };
  return {
    id: context.id,
    type: 'gemini',
    chatCompletions: (input) => generateContent(settings, input),
    countTokens: (input) => countTokens(settings, input),
    embeddings: (input) => embeddings(settings, input),
    ...(options.listModels !== false ? { listModels: (signal: AbortSignal) => listModels(settings, signal) } : {}),
    close: () => client.close(),
  };
}

export const geminiType = defineProviderType<GeminiOptions>({
  type: 'gemini',
  schema: geminiSchema,
  secretOptions: ['apiKey'],
  create: createGeminiProvider,
});

// ---- Chat ----------------------------------------------------------------------------------------

async function generateContent(settings: Settings, input: ChatCallInput): Promise<ChatResult> {
  const { client } = settings;
  const provider = client.provider;
  const model = input.body.model;
  // Where response_format goes as a function of its own (answer-function.ts), its calls are the answer.
  const route = answerRoute(input.body);
  const body = toGeminiRequest(input.body, { provider, policy: settings.policy, route });
  const streaming = input.body.stream === true;
  // Gemini cannot be told to call one function at a time: the answer is cut to its first call.
  const oneToolCall = input.body.parallel_tool_calls === false;
  const answerFunction = route.kind === 'function' ? { answerFunction: route.name } : {};
  const exchange = await client.send({
    method: 'POST',
    path: streaming ? `${modelPath(model)}:streamGenerateContent?alt=sse` : `${modelPath(model)}:generateContent`,
    headers: jsonHeaders(streaming, settings.headers, input.headers),
    body: JSON.stringify(body),
    signal: input,
  });
  await client.expectOk(exchange, geminiHttpError);

  if (!streaming) {
    const answer = await client.readJson(exchange);
    if (!isRecord(answer)) throw malformed(provider, 'the answer is not a JSON object');
    return { kind: 'json', status: exchange.status, headers: exchange.headers, body: toOpenAICompletion(answer as GeminiResponse, { provider, model, oneToolCall, ...answerFunction }) };
  }

  const contentType = String(exchange.headers['content-type'] ?? '');
  if (!contentType.includes('text/event-stream')) {
    exchange.release();
    exchange.body.destroy();
    throw malformed(provider, `a stream was asked for but the answer is ${contentType || 'untyped'}`);
  }
  const streamOptions = { provider, model, oneToolCall, ...answerFunction };
  const translator = new GeminiStreamTranslator(streamOptions);
  const chunks = translateGeminiStream(decodeSse(exchange), streamOptions, translator);
  return { kind: 'stream', status: exchange.status, headers: exchange.headers, chunks, usageSoFar: () => translator.usageSoFar() };
}

/** The prompt's token count: the whole request (system instruction and tools included) is counted. */
async function countTokens(settings: Settings, input: ChatCallInput): Promise<number> {
  const { client } = settings;
  const model = input.body.model;
  const translated = toGeminiRequest(input.body, { provider: client.provider, policy: settings.policy });
  // Only the prompt counts: output settings are left out.
  const { generationConfig: _output, ...prompt } = translated;
  const body: GeminiCountTokensRequest = { generateContentRequest: { model: resourceName(model), ...prompt } };
  const exchange = await client.send({
    method: 'POST',
    path: `${modelPath(model)}:countTokens`,
    headers: jsonHeaders(false, settings.headers, input.headers),
    body: JSON.stringify(body),
    signal: input,
  });
  await client.expectOk(exchange, geminiHttpError);
  const answer = (await client.readJson(exchange)) as GeminiCountTokensResponse | null;
  if (typeof answer?.totalTokens !== 'number') throw malformed(client.provider, 'the token count answer has no totalTokens');
  return answer.totalTokens;
}

// ---- Embeddings ----------------------------------------------------------------------------------

/** OpenAI embeddings fields that change nothing about the vectors. */
const EMBEDDINGS_IGNORED = new Set(['model', 'input', 'encoding_format', 'dimensions', 'user']);
/** Most texts one batchEmbedContents call takes. */
const EMBED_BATCH = 100;

async function embeddings(settings: Settings, input: EmbeddingsCallInput): Promise<JsonResult<EmbeddingsResponse>> {
  const { client } = settings;
  const provider = client.provider;
  const request = input.body;
  const texts = embeddingInputs(provider, request);
  for (const field of Object.keys(request)) {
    if (!EMBEDDINGS_IGNORED.has(field) && request[field] !== undefined && request[field] !== null) {
      rejectUnsupported(settings.policy, provider, field, 'the Gemini embeddings API has no such parameter');
    }
  }
  const model = resourceName(request.model);
  const embedBatch = async (batch: readonly string[]) => {
    const body: GeminiBatchEmbedRequest = {
      requests: batch.map((text) => ({
        model,
        content: { parts: [{ text }] },
        ...(typeof request.dimensions === 'number' ? { outputDimensionality: request.dimensions } : {}),
      })),
    };
    const exchange = await client.send({
      method: 'POST',
      path: `${modelPath(request.model)}:batchEmbedContents`,
      headers: jsonHeaders(false, settings.headers, input.headers),
      body: JSON.stringify(body),
      signal: input,
    });
    await client.expectOk(exchange, geminiHttpError);
    const answer = (await client.readJson(exchange)) as GeminiBatchEmbedResponse | null;
    const vectors = answer?.embeddings;
    if (!Array.isArray(vectors) || vectors.length !== batch.length || vectors.some((v) => !Array.isArray(v?.values))) {
      throw malformed(provider, `the embeddings answer does not hold ${batch.length} vector(s)`);
    }
    return { exchange, vectors: vectors as Array<{ values: number[] }> };
  };
  // batchEmbedContents takes at most 100 texts; OpenAI's endpoint takes up to 2,048 in one request.
  // The batches go one after another, in order, so the vectors keep the inputs' positions; the
  // client sees the last answer's status and headers.
  const vectors: Array<{ values: number[] }> = [];
  let exchange: { status: number; headers: Record<string, string | string[] | undefined> } | undefined;
  for (let start = 0; start < texts.length; start += EMBED_BATCH) {
    const answered = await embedBatch(texts.slice(start, start + EMBED_BATCH));
    vectors.push(...answered.vectors);
    exchange = answered.exchange;
  }
  // Gemini reports no token counts for embeddings. OpenAI clients expect usage, so it is an
  // estimate: about four characters per token, the usual rule of thumb for English text, marked
  // as one so the usage record says so.
  const estimate = Math.ceil(texts.reduce((sum, text) => sum + text.length, 0) / 4);
  return {
    kind: 'json',
    status: exchange!.status,
    headers: exchange!.headers,
    body: {
      object: 'list',
      data: vectors.map((vector, index) => ({ object: 'embedding', index, embedding: encodedEmbedding(vector.values ?? [], request.encoding_format) })),
      model: request.model,
      usage: estimatedUsage({ prompt_tokens: estimate, total_tokens: estimate }),
    },
  };
}

/** The texts to embed. Token arrays cannot be embedded by Gemini, which takes text only. */
function embeddingInputs(provider: string, request: EmbeddingsRequest): string[] {
  const input = request.input;
  if (typeof input === 'string') return [input];
  if (Array.isArray(input) && input.every((item): item is string => typeof item === 'string')) {
    if (input.length === 0) throw invalidRequest(`'input' must not be empty.`, 'input');
    return input;
  }
  // Dropping the input is no answer, so this is refused whatever the policy.
  throw unsupportedParam(provider, 'input', 'Gemini embeds text, not token arrays');
}

// ---- Models --------------------------------------------------------------------------------------

/** `GET /models`, following `nextPageToken`; only models that can chat or embed, without the `models/` prefix. */
async function listModels(settings: Settings, signal: AbortSignal): Promise<ProviderModel[]> {
  const { client } = settings;
  const models: ProviderModel[] = [];
  let pageToken: string | undefined;
  for (let page = 0; page < MAX_MODEL_PAGES; page++) {
    const query = `pageSize=1000${pageToken ? `&pageToken=${encodeURIComponent(pageToken)}` : ''}`;
    const exchange = await client.send({ method: 'GET', path: `/models?${query}`, headers: { ...settings.headers, accept: 'application/json' }, signal });
    await client.expectOk(exchange, geminiHttpError);
    const body = (await client.readJson(exchange)) as GeminiModelList | null;
    // Anything else (an OpenAI-style `data` list, an empty object from a proxy) means the base URL
    // does not lead to Gemini's API: an error the health and readiness routes show, not "no models".
    if (!isRecord(body) || !Array.isArray(body.models)) throw malformed(client.provider, "the model list is not in Gemini's format (no models array): does the base URL lead to Gemini's API, e.g. https://generativelanguage.googleapis.com/v1beta?");
    for (const model of body.models) {
      if (!isRecord(model) || typeof model.name !== 'string') continue;
      const methods = Array.isArray(model.supportedGenerationMethods) ? model.supportedGenerationMethods : [];
      if (!methods.some((method) => USEFUL_METHODS.has(method))) continue;
      models.push({ id: model.name.replace(/^models\//, ''), ownedBy: 'google' });
    }
    if (typeof body.nextPageToken !== 'string' || body.nextPageToken === '') break;
    pageToken = body.nextPageToken;
  }
  return models;
}

// ---- Helpers -------------------------------------------------------------------------------------

/**
 * The API's base URL. Google's gen-ai SDKs take a host root and add the API version themselves
 * (`v1beta` by default: googleapis/js-genai src/_api_client.ts), so a root gets `/v1beta`; a URL
 * with a path (`/v1beta`, `/v1`, a proxy's prefix) is used as it is.
 * @example geminiBaseURL('https://generativelanguage.googleapis.com') // → 'https://generativelanguage.googleapis.com/v1beta'
 */
export function geminiBaseURL(baseURL: string): string {
  const url = new URL(baseURL);
  if (url.pathname === '/' || url.pathname === '') url.pathname = '/v1beta';
  return url.toString().replace(/\/$/, '');
}

/**
 * The URL path of a model: `gemini-2.5-flash` → `/models/gemini-2.5-flash`. A full resource name
 * (`models/...`, `tunedModels/...`) is used as it is.
 */
export function modelPath(model: string): string {
  return `/${resourceName(model).split('/').map(encodeURIComponent).join('/')}`;
}

/** `gemini-2.5-flash` → `models/gemini-2.5-flash`, as request bodies name models. */
function resourceName(model: string): string {
  return model.includes('/') ? model : `models/${model}`;
}

function malformed(provider: string, what: string): GatewayError {
  return new GatewayError('upstream', `${provider}: ${what}`, { provider, code: 'upstream_invalid_response', retryable: true });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
