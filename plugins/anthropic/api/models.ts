/**
 * `GET /v1/models` and `GET /v1/models/{id}` for Anthropic's clients. The kernel lists models in
 * OpenAI's shape; a caller that sends `anthropic-version` (Anthropic's SDKs always do, OpenAI's
 * never) reads Anthropic's instead (https://platform.claude.com/docs/en/api/models): each model a
 * `ModelInfo` (`type: 'model'`, `id`, `display_name`, `created_at` in RFC 3339), the list a page
 * (`data`, `has_more`, `first_id`, `last_id`; query `limit` 1–1000, default 20, `after_id`,
 * `before_id`), and a refusal in Anthropic's error format.
 */
import type { Context as KoaContext } from 'koa';
import { invalidRequest, toGatewayError, type HttpGate } from 'llm-gateway/plugin';
import { toAnthropicErrorBody } from '../protocol/errors.js';

interface OpenAIModel {
  id: string;
  created?: number;
}

interface ModelInfo {
  type: 'model';
  id: string;
  display_name: string;
  created_at: string;
}

// Not async itself: every request passes this gate, and all but Anthropic's model lists go on without a promise of its own.
export const anthropicModelsGate: HttpGate = (http, next) =>
  http.method !== 'GET' || !(http.path === '/v1/models' || http.path.startsWith('/v1/models/')) || http.get('anthropic-version') === '' ? next() : inAnthropicShape(http, next);

async function inAnthropicShape(http: KoaContext, next: () => Promise<void>): Promise<void> {
  try {
    await next();
    if (http.status !== 200) return;
    const body = http.body as { object?: string; data?: OpenAIModel[] } & OpenAIModel;
    http.body = body.object === 'list' && Array.isArray(body.data) ? page(body.data.map(modelInfo), http) : modelInfo(body);
  } catch (error) {
    const refused = toGatewayError(error);
    // An unexpected failure goes on to the error boundary, which logs it (and answers an opaque 500).
    if (refused.kind === 'internal') throw error;
    http.status = refused.status;
    if (refused.retryAfterSeconds !== undefined) http.set('retry-after', String(Math.max(0, Math.ceil(refused.retryAfterSeconds))));
    http.body = toAnthropicErrorBody(refused, http.requestId);
  }
}

function modelInfo(model: OpenAIModel): ModelInfo {
  return { type: 'model', id: model.id, display_name: model.id, created_at: new Date((model.created ?? 0) * 1000).toISOString() };
}

/** One page of the list, as Anthropic pages it: `limit` models after `after_id`, or before `before_id`. */
function page(models: ModelInfo[], http: KoaContext): { data: ModelInfo[]; has_more: boolean; first_id: string | null; last_id: string | null } {
  const limit = http.query.limit === undefined ? 20 : Number(http.query.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw invalidRequest('limit: must be an integer from 1 to 1000.', 'limit', 'invalid_value');
  const after = typeof http.query.after_id === 'string' ? models.findIndex((m) => m.id === http.query.after_id) : -1;
  const before = typeof http.query.before_id === 'string' ? models.findIndex((m) => m.id === http.query.before_id) : -1;
  const end = before >= 0 ? before : models.length;
  const start = before >= 0 ? Math.max(0, end - limit) : after + 1;
  const data = models.slice(start, Math.min(end, start + limit));
  const has_more = before >= 0 ? start > 0 : start + limit < end;
  return { data, has_more, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null };
}
