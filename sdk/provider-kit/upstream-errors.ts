/**
 * An upstream's error response, in the gateway's terms: its status kept, its message kept and
 * prefixed with the provider's id, and `Retry-After` read so retries and clients can honour it.
 */
import { GatewayError, type ErrorKind } from '../../core/errors.js';

const KIND_BY_STATUS: Record<number, ErrorKind> = {
  400: 'invalid_request',
  401: 'authentication',
  402: 'budget_exceeded',
  403: 'permission',
  404: 'not_found',
  413: 'payload_too_large',
  429: 'rate_limited',
};

export function upstreamHttpError(provider: string, status: number, headers: Record<string, string | string[] | undefined>, bodyText: string): GatewayError {
  if (status < 400 || status > 599) return unexpectedStatus(provider, status, headers);
  const detail = readErrorBody(bodyText);
  const message = detail.message ?? (bodyText.trim() ? truncate(bodyText.trim(), 300) : `HTTP ${status}`);
  // A 403 that says what in the input it refused (OpenRouter's moderation: `metadata.reasons`,
  // `flagged_input`) is about the request, not the gateway's key: the client's, kept, not retried.
  if (status === 401 || (status === 403 && !detail.refusesContent)) return credentialsRefused(provider, status, message);
  const retryAfter = retryAfterSeconds(headers);
  return new GatewayError(KIND_BY_STATUS[status] ?? (status >= 500 ? 'upstream' : 'invalid_request'), `${provider}: ${message}`, {
    status,
    ...(detail.type ? { type: detail.type } : {}),
    code: detail.code ?? null,
    param: detail.param ?? null,
    provider,
    ...(retryAfter !== undefined ? { retryAfterSeconds: retryAfter } : {}),
    ...(detail.fields ? { upstreamFields: detail.fields } : {}),
    ...(detail.refusesContent ? { retryable: false } : {}),
  });
}

/**
 * An error the upstream reported inside an answer it had begun (a 200's body, a stream's event), in
 * its own words: OpenAI's shape, or the plain text of one that is not JSON (llama.cpp's `error:` line).
 * One that says it is a rate limit (OpenAI's `rate_limit_error` type or `rate_limit_exceeded` code,
 * which hosts send mid-stream when a limit is hit during generation) is one to the client too.
 */
export function reportedUpstreamError(provider: string, text: string): GatewayError {
  const detail = readErrorBody(text);
  const trimmed = text.trim();
  const message = detail.message ?? (trimmed !== '' && !trimmed.startsWith('{') ? trimmed.slice(0, 300) : undefined);
  const rateLimited = detail.type === 'rate_limit_error' || detail.code === 'rate_limit_exceeded';
  return new GatewayError(rateLimited ? 'rate_limited' : 'upstream', `${provider}: ${message ?? 'the provider reported an error mid-stream'}`, {
    provider,
    code: detail.code ?? (rateLimited ? 'rate_limit_exceeded' : 'upstream_stream_error'),
    retryable: true,
  });
}

/**
 * The provider refused the gateway's own key: not the client's fault, and the client's key is not
 * in question, so not a 401/403. A 502 that says so; the upstream's message (which may quote part
 * of the key) goes to the gateway's log as the cause, not to the client. Another target, with its
 * own key, may still answer.
 */
export function credentialsRefused(provider: string, status: number, upstreamMessage: string): GatewayError {
  return new GatewayError('upstream', `${provider} refused the gateway's credentials (HTTP ${status}): the gateway's operator must check this provider's API key.`, {
    code: 'provider_auth_failed',
    provider,
    retryable: true,
    cause: new Error(`${provider} answered HTTP ${status}: ${upstreamMessage}`),
  });
}

interface ErrorDetail {
  message?: string;
  type?: string;
  code?: string;
  param?: string;
  /**
   * Objects of the error the client's SDK reads, passed on: Azure OpenAI's `innererror` (the
   * content filter's results) and Anthropic's `details` (its `error_code`, from which the Anthropic
   * SDK picks an error class and recovers a lost message thread).
   */
  fields?: Record<string, Record<string, unknown>>;
  /** The error names what in the input it refused (OpenRouter's moderation `metadata`). */
  refusesContent?: boolean;
}

const PASSED_ON = ['innererror', 'details'] as const;

/** Understands OpenAI's `{error:{message,type,code,param}}` and the common variations of it. */
export function readErrorBody(text: string): ErrorDetail {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return {};
  }
  if (typeof parsed !== 'object' || parsed === null) return {};
  const root = parsed as Record<string, unknown>;
  const error = root.error;
  if (typeof error === 'string') return { message: error };
  const source = typeof error === 'object' && error !== null ? (error as Record<string, unknown>) : root;
  const detail: ErrorDetail = {};
  const message = source.message ?? root.detail ?? root.message;
  if (typeof message === 'string') detail.message = message;
  if (typeof source.type === 'string') detail.type = source.type;
  if (typeof source.code === 'string' || typeof source.code === 'number') detail.code = String(source.code);
  if (typeof source.param === 'string') detail.param = source.param;
  for (const field of PASSED_ON) {
    const value = source[field];
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) detail.fields = { ...detail.fields, [field]: value as Record<string, unknown> };
  }
  const metadata = source.metadata;
  if (typeof metadata === 'object' && metadata !== null && ('reasons' in metadata || 'flagged_input' in metadata)) detail.refusesContent = true;
  return detail;
}

/**
 * An answer that is neither a success nor an error: a redirect (which the gateway does not follow:
 * the provider's key would go to another host) or a stray informational status. The upstream's
 * fault, not the client's: a 502 another target may answer.
 */
function unexpectedStatus(provider: string, status: number, headers: Record<string, string | string[] | undefined>): GatewayError {
  const location = first(headers.location);
  let host: string | undefined;
  try {
    host = location === undefined ? undefined : new URL(location).host;
  } catch {
    host = undefined;
  }
  const redirect = status >= 300 && status < 400 ? ` (a redirect${host ? ` to ${host}` : ''}, which the gateway does not follow: check the provider's baseURL)` : '';
  return new GatewayError('upstream', `${provider}: answered HTTP ${status}${redirect}`, { provider, code: 'upstream_unexpected_status', retryable: true });
}

/** RFC 9110's delay-seconds (fractions tolerated, as some hosts send them). */
const DELAY_SECONDS = /^\d+(\.\d+)?$/;
/** RFC 9110's HTTP-date: the IMF-fixdate, or the obsolete RFC 850 and asctime forms. */
const HTTP_DATE = /^(?:[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT|[A-Z][a-z]+, \d{2}-[A-Z][a-z]{2}-\d{2} \d{2}:\d{2}:\d{2} GMT|[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} \d{4})$/;
/** Longer than any provider's real wait: a larger value is taken as this. */
export const LONGEST_RETRY_AFTER_SECONDS = 86_400;

/**
 * `Retry-After` (seconds or an HTTP date) or `retry-after-ms`, in seconds, at most a day; undefined
 * for a value in neither form (V8's `Date.parse` reads almost any text with a number in it as a
 * date in the past, which would have meant "retry at once").
 */
export function retryAfterSeconds(headers: Record<string, string | string[] | undefined>): number | undefined {
  const ms = first(headers['retry-after-ms'])?.trim();
  if (ms !== undefined && DELAY_SECONDS.test(ms)) return bounded(Number(ms) / 1000);
  const value = first(headers['retry-after'])?.trim();
  if (value === undefined) return undefined;
  if (DELAY_SECONDS.test(value)) return bounded(Number(value));
  if (!HTTP_DATE.test(value)) return undefined;
  // Every HTTP date is GMT; asctime's form does not say so, and Date.parse would read it in the
  // server's time zone (hours off: a deployment blocked for the cap, or retried at once).
  const date = Date.parse(value.endsWith(' GMT') ? value : `${value} GMT`);
  return Number.isNaN(date) ? undefined : bounded((date - Date.now()) / 1000);
}

function bounded(seconds: number): number {
  return Number.isFinite(seconds) ? Math.min(LONGEST_RETRY_AFTER_SECONDS, Math.max(0, seconds)) : LONGEST_RETRY_AFTER_SECONDS;
}

function first(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function truncate(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}
