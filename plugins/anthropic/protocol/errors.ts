/** Anthropic's error JSON, for clients on `/v1/messages`: https://docs.claude.com/en/api/errors */
import { withUpstreamFields, type GatewayError } from 'llm-gateway/plugin';
import type { AnthropicErrorBody } from './types.js';

const TYPE_BY_STATUS: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  503: 'overloaded_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

const ANTHROPIC_TYPES = new Set(Object.values(TYPE_BY_STATUS).concat('api_error'));

/** Anthropic's shape, plus the gateway's own fields under `error` (which Anthropic SDKs ignore). */
export function toAnthropicErrorBody(error: GatewayError, requestId?: string): AnthropicErrorBody {
  // Named by its status where Anthropic's table names one: an OpenAI upstream's 404 and the
  // kernel's 413 carry OpenAI's `invalid_request_error`, which Anthropic gives only to a 400.
  // Where the table has no entry (500, 502), an Anthropic type the error carries is kept.
  const type = TYPE_BY_STATUS[error.status] ?? (ANTHROPIC_TYPES.has(error.type) ? error.type : error.status >= 500 ? 'api_error' : 'invalid_request_error');
  const body: AnthropicErrorBody = { type: 'error', error: { type, message: error.message } };
  const extra = body.error as Record<string, unknown>;
  if (error.code) extra.code = error.code;
  if (error.param) extra.param = error.param;
  if (error.provider) extra.provider = error.provider;
  extra.retryable = error.retryable;
  // Anthropic's own `details` (its SDK names the error class by `details.error_code`).
  withUpstreamFields(extra, error);
  if (requestId) body.request_id = requestId;
  return body;
}
