/**
 * The stored responses, as OpenAI serves its own (https://platform.openai.com/docs/api-reference/responses):
 * - `GET /v1/responses/{id}`: the Response object;
 * - `GET /v1/responses/{id}/input_items`: the items that led to it, as a list page
 *   (`ResponseItemList` in openai-node `src/resources/responses/input-items.ts`: `data`,
 *   `first_id`, `last_id`, `has_more`; query `limit` 1-100 (20), `order` asc|desc (desc), `after`,
 *   `before`: list-page.ts);
 * - `DELETE /v1/responses/{id}`: `{ id, object: 'response.deleted', deleted: true }`;
 * - `POST /v1/responses/{id}/cancel`: a 400, every stored response being synchronous, and
 *   `?stream=true` on the first: a 400 (a stored response is not replayed as events).
 * Only the key that created a response can see it; anyone else, and any unknown or expired id,
 * gets a 404. `include=reasoning.encrypted_content` shows reasoning's `encrypted_content`.
 */
import type { Context as KoaContext } from 'koa';
import { invalidRequest, notFound, type PluginHost } from 'llm-gateway/plugin';
import { authenticatedKey } from 'llm-gateway/plugins/auth';
import { forClient, withoutEncryptedContent } from '../protocol/from-chat-response.js';
import type { ResponseStore, StoredResponse } from '../store/response-store.js';
import { pageOf } from './list-page.js';

export function addStoredResponseRoutes(host: PluginHost, store: ResponseStore): void {
  host.route({
    method: 'GET',
    path: '/v1/responses/:id',
    handler: async (http) => {
      const record = await find(http, store);
      // The SDK's resumable stream: an answer of JSON would read as a stream that ended at once.
      if (http.query.stream === 'true') throw invalidRequest('Streaming a stored response (stream=true) is not supported by this gateway; retrieve it without stream.', 'stream', 'unsupported_parameter');
      http.body = forClient(record.response, includeOf(http));
    },
  });

  // Only background responses can be cancelled, and the gateway runs none (responses.ts refuses them).
  host.route({
    method: 'POST',
    path: '/v1/responses/:id/cancel',
    handler: async (http) => {
      await find(http, store);
      throw invalidRequest('Cannot cancel a synchronous response: only background responses can be cancelled, and this gateway runs none.', undefined, 'response_not_cancellable');
    },
  });

  host.route({
    method: 'GET',
    path: '/v1/responses/:id/input_items',
    handler: async (http) => {
      const record = await find(http, store);
      const input = await store.itemsBefore(record, owner(http));
      if (!input) throw notFound(`The input items of response '${record.response.id}' are gone: an earlier response of its conversation was deleted or has expired.`, 'response_not_found');
      const limit = integerQuery(http, 'limit', 20, 1, 100);
      const order = http.query.order ?? 'desc';
      if (order !== 'asc' && order !== 'desc') throw invalidRequest("Invalid value for 'order': must be 'asc' or 'desc'.", 'order', 'invalid_value');
      const items = order === 'asc' ? [...input] : [...input].reverse();
      const page = pageOf(items, { after: stringQuery(http, 'after'), before: stringQuery(http, 'before'), limit });
      const encrypted = includeOf(http).includes('reasoning.encrypted_content');
      const data = page.data.map((item) => (encrypted ? item : withoutEncryptedContent(item)));
      http.body = { object: 'list', ...page, data };
    },
  });

  host.route({
    method: 'DELETE',
    path: '/v1/responses/:id',
    handler: async (http) => {
      const id = String(http.params.id);
      if (!(await store.delete(id, owner(http)))) throw missing(id);
      http.body = { id, object: 'response.deleted', deleted: true };
    },
  });
}

async function find(http: KoaContext, store: ResponseStore): Promise<StoredResponse> {
  const id = String(http.params.id);
  const record = await store.load(id, owner(http));
  if (!record) throw missing(id);
  return record;
}

const owner = (http: KoaContext) => authenticatedKey(http)?.id ?? null;

const missing = (id: string) => notFound(`Response with id '${id}' not found.`, 'response_not_found');

/** `include=a&include=b`, `include[]=a` (the SDK's form) or `include=a,b`. */
function includeOf(http: KoaContext): string[] {
  const raw = http.query.include ?? http.query['include[]'];
  const values = Array.isArray(raw) ? raw : raw === undefined ? [] : [raw];
  return values.flatMap((value) => value.split(','));
}

function stringQuery(http: KoaContext, name: string): string | undefined {
  const value = http.query[name];
  return typeof value === 'string' ? value : undefined;
}

function integerQuery(http: KoaContext, name: string, fallback: number, min: number, max: number): number {
  const raw = http.query[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw invalidRequest(`Invalid value for '${name}': must be an integer from ${min} to ${max}.`, name, 'invalid_value');
  return value;
}
