/**
 * `POST /v1/embeddings` in OpenAI's format, for every provider with an embeddings API, through the
 * same pipeline as chat: keys, limits, budgets, routing, retry and fallback, usage records. Plugins
 * see the input as one user message of a chat view (`ctx.request`), so whatever reads models and
 * prompt sizes works unchanged; the embeddings request itself is `ctx.embeddings`.
 */
import type { Context as KoaContext } from 'koa';
import { GatewayContext } from '../context.js';
import { invalidRequest } from '../errors.js';
import type { ChatCompletionRequest, EmbeddingsRequest } from '../protocol/openai.js';
import { takeRoutingHints } from '../routing/hints.js';
import { describeErrors, describeFound, validatorFor } from '../validation.js';
import { runExchange, type ExchangeDeps } from './exchange.js';
import { readJsonBody } from './read-json-body.js';

export interface EmbeddingsDeps extends ExchangeDeps {
  bodyLimit: number;
}

const check = validatorFor({
  type: 'object',
  required: ['model', 'input'],
  properties: {
    model: { type: 'string', minLength: 1 },
    input: {
      anyOf: [
        { type: 'string' },
        { type: 'array', minItems: 1, items: { type: 'string' } },
        { type: 'array', minItems: 1, items: { type: 'integer' } },
        { type: 'array', minItems: 1, items: { type: 'array', items: { type: 'integer' } } },
      ],
    },
    encoding_format: { enum: ['float', 'base64'] },
    dimensions: { type: 'integer', minimum: 1 },
  },
});

export function embeddingsRoute(deps: EmbeddingsDeps) {
  return async function embeddings(koa: KoaContext): Promise<void> {
    const body = await readJsonBody(koa.req, deps.bodyLimit);
    const hints = takeRoutingHints(koa.req.headers, body);
    const request = validate(body);
    const ctx = new GatewayContext({ endpoint: 'embeddings', id: koa.requestId, http: koa, request: chatView(request), embeddings: request, startedAt: koa.startedAt });
    ctx.hints = hints;
    await runExchange(koa, ctx, deps, {
      renderJson: () => {
        throw new Error('an embeddings request got a chat answer');
      },
      encodeStream: () => {
        throw new Error('an embeddings request got a stream');
      },
    });
  };
}

/** The input as a chat request with nothing to generate: what chat-minded plugins read. */
function chatView(request: EmbeddingsRequest): ChatCompletionRequest {
  const input = request.input;
  const text = typeof input === 'string' ? input : input.every((i) => typeof i === 'string') ? (input as string[]).join('\n') : '';
  return { model: request.model, messages: [{ role: 'user', content: text }], max_tokens: 0 };
}

function validate(body: Record<string, unknown>): EmbeddingsRequest {
  if (check(body)) return body as EmbeddingsRequest;
  const [issue] = describeErrors(check.errors ?? [], body, () => false);
  const param = issue?.path.split('/').filter(Boolean)[0] ?? 'input';
  if (issue?.message === 'is required') throw invalidRequest(`Missing required parameter: '${param}'.`, param, 'missing_required_parameter');
  throw invalidRequest(`Invalid value for '${param}': ${issue?.message ?? 'not an embeddings request'} (${describeFound(issue?.found)}).`, param, 'invalid_value');
}
