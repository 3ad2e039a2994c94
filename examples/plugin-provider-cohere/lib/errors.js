// @ts-check
/**
 * Cohere's error answers in the gateway's terms. Cohere answers a non-2xx status with
 * `{"message": "..."}` (https://docs.cohere.com/reference/errors); the provider kit's mapping
 * already keeps the status, prefixes the message with the provider id, reads `Retry-After` and
 * decides retryability from the status (429 and 5xx may succeed later, other 4xx will not).
 *
 * What is Cohere's own: a prompt or output too long for the model is a 400 whose message starts
 * with "too many tokens" (the documented examples); it gets OpenAI's `context_length_exceeded`
 * code, which clients and fallback rules key on.
 */
import { readErrorBody, upstreamHttpError, GatewayError } from 'llm-gateway/provider-kit';

/** @type {import('llm-gateway/provider-kit').UpstreamErrorReader} */
export function cohereHttpError(provider, status, headers, bodyText) {
  const generic = upstreamHttpError(provider, status, headers, bodyText);
  const message = readErrorBody(bodyText).message ?? '';
  if (status !== 400 || !/^too many tokens/i.test(message)) return generic;
  return new GatewayError(generic.kind, generic.message, {
    status: generic.status,
    code: 'context_length_exceeded',
    param: 'messages',
    provider,
    retryable: false,
  });
}
