/**
 * `POST /v1/embeddings` in OpenAI's format, for every provider with an embeddings API. The model
 * names a provider's model or a virtual model; targets are tried in order, moving on when one fails
 * in a way another might not (and skipping targets whose provider has no embeddings at all).
 *
 * Embeddings bypass the chat plugin pipeline, whose plugins read chat messages.
 */
import type { Context as KoaContext } from 'koa';
import { GatewayError, invalidRequest, isGatewayError } from '../errors.js';
import type { EmbeddingsRequest } from '../protocol/openai.js';
import type { ProviderRegistry } from '../providers/registry.js';
import type { ModelResolver } from '../routing/resolve-model.js';
import { validatorFor, describeErrors, describeFound } from '../validation.js';
import { readJsonBody } from './read-json-body.js';

export interface EmbeddingsDeps {
  resolver: ModelResolver;
  providers: ProviderRegistry;
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
    delete body.gateway;
    const request = validate(body);
    const route = deps.resolver.resolve(request.model);
    const controller = new AbortController();
    koa.res.once('close', () => {
      if (!koa.res.writableFinished) controller.abort(new GatewayError('client_closed', 'The client closed the connection.', { retryable: false }));
    });

    let lastError: GatewayError | undefined;
    let attempts = 0;
    for (const target of route.targets) {
      const provider = deps.providers.get(target.provider);
      if (!provider?.embeddings) {
        lastError ??= invalidRequest(`The provider '${target.provider}' has no embeddings API.`, 'model', 'unsupported_endpoint');
        continue;
      }
      attempts++;
      try {
        const result = await provider.embeddings({ body: { ...request, ...target.params, model: target.model }, signal: controller.signal, headers: { 'x-request-id': koa.requestId } });
        koa.set('x-gateway-provider', target.provider);
        koa.set('x-gateway-model', target.model);
        koa.set('x-gateway-attempts', String(attempts));
        koa.status = result.status;
        koa.body = result.body;
        return;
      } catch (cause) {
        if (!isGatewayError(cause)) throw cause;
        lastError = cause;
        if (!cause.retryable || controller.signal.aborted) break;
      }
    }
    throw lastError ?? new GatewayError('unavailable', `No target is left to serve '${request.model}'.`, { code: 'no_target' });
  };
}

function validate(body: Record<string, unknown>): EmbeddingsRequest {
  if (check(body)) return body as EmbeddingsRequest;
  const [issue] = describeErrors(check.errors ?? [], body, () => false);
  const param = issue?.path.split('/').filter(Boolean)[0] ?? 'input';
  if (issue?.message === 'is required') throw invalidRequest(`Missing required parameter: '${param}'.`, param, 'missing_required_parameter');
  throw invalidRequest(`Invalid value for '${param}': ${issue?.message ?? 'not an embeddings request'} (${describeFound(issue?.found)}).`, param, 'invalid_value');
}
