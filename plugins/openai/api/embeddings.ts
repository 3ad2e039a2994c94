/**
 * `POST /v1/embeddings` in OpenAI's format, for every provider with an embeddings API, through the
 * same pipeline as chat: keys, limits, budgets, routing, retry and fallback, usage records. Plugins
 * see the input as one user message of a chat view (`ctx.request`), so whatever reads models and
 * prompt sizes works unchanged; the embeddings request itself is `ctx.embeddings`.
 */
import { defineFrontEnd, describeErrors, describeFound, invalidRequest, requestValidatorFor, type EmbeddingsRequest } from 'llm-gateway/plugin';

const check = requestValidatorFor({
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

export const embeddingsApi = defineFrontEnd({
  endpoint: 'embeddings',
  paths: ['/v1/embeddings'],
  parse: (body) => ({ operation: 'embeddings', request: validate(body) }),
  renderJson: (_ctx, answer) => answer,
  renderStream: () => {
    throw new Error('an embeddings request got a stream');
  },
});

function validate(body: Record<string, unknown>): EmbeddingsRequest {
  if (check(body)) return body as EmbeddingsRequest;
  const [issue] = describeErrors(check.errors ?? [], body, () => false);
  const param = issue?.path.split('/').filter(Boolean)[0] ?? 'input';
  if (issue?.message === 'is required') throw invalidRequest(`Missing required parameter: '${param}'.`, param, 'missing_required_parameter');
  throw invalidRequest(`Invalid value for '${param}': ${issue?.message ?? 'not an embeddings request'} (${describeFound(issue?.found)}).`, param, 'invalid_value');
}
