/**
 * The answer to a client request as `ctx.response` holds it, and as a plugin may set it: a plugin
 * that answers itself (a cache hit) may leave out the status, which is then 200; a status no answer
 * can be sent with is refused where it is set, naming it, rather than failing deep in Koa.
 */
import type { ChatCompletion, ChatCompletionChunk, EmbeddingsResponse } from './protocol/openai.js';
import type { RawJson } from './providers/provider.js';

export type GatewayResponse =
  | { readonly kind: 'json'; readonly status: number; readonly body: ChatCompletion; readonly raw?: RawJson<ChatCompletion> }
  | { readonly kind: 'stream'; readonly status: number; readonly chunks: AsyncIterable<ChatCompletionChunk> }
  | { readonly kind: 'embeddings'; readonly status: number; readonly body: EmbeddingsResponse; readonly raw?: RawJson<EmbeddingsResponse> };

/**
 * What a plugin may set as `ctx.response`: `{ kind: 'json', body }` for a whole answer of its own,
 * with `status` optional (200 when left out; read back as 200). A status must be an integer from
 * 200 to 599: any other is thrown at the assignment, a 500 for the client.
 */
export type GatewayResponseInit =
  | { readonly kind: 'json'; readonly status?: number; readonly body: ChatCompletion; readonly raw?: RawJson<ChatCompletion> }
  | { readonly kind: 'stream'; readonly status?: number; readonly chunks: AsyncIterable<ChatCompletionChunk> }
  | { readonly kind: 'embeddings'; readonly status?: number; readonly body: EmbeddingsResponse; readonly raw?: RawJson<EmbeddingsResponse> };

/** How the exchange with the client ended; set once the response is fully sent or abandoned. */
export type RequestOutcome = 'ok' | 'error' | 'client_aborted';

/** `response` with its status: 200 when left out; thrown when it is not one an answer can have. */
export function settledResponse(response: GatewayResponseInit): GatewayResponse {
  const status: unknown = response.status;
  if (status === undefined) return { ...response, status: 200 };
  if (typeof status === 'number' && Number.isInteger(status) && status >= 200 && status <= 599) return response as GatewayResponse;
  const found = typeof status === 'string' ? JSON.stringify(status) : String(status);
  throw new TypeError(`ctx.response.status must be an integer from 200 to 599, the HTTP status the answer is sent with, or left out for 200 (found ${found} on a '${String(response.kind)}' response)`);
}
