/**
 * Gemini's errors in the gateway's terms. The generic mapping (core/upstream/upstream-errors.ts)
 * already keeps the HTTP status, prefixes the message with the provider id, reads `Retry-After` and
 * understands `{error:{message}}`; this file only adds what is Gemini's own:
 *
 * - `error.status` (the gRPC status name, e.g. RESOURCE_EXHAUSTED, INVALID_ARGUMENT) becomes the
 *   error's `code`. Gemini's numeric `error.code` only repeats the HTTP status, while the name is
 *   what Google's docs and support talk about. The OpenAI `type` stays the gateway's own
 *   (`rate_limit_error`, `invalid_request_error`...), which is what OpenAI clients switch on.
 * - A 429 carries no `Retry-After` header but a `google.rpc.RetryInfo` detail (`retryDelay: "22s"`),
 *   which becomes `retryAfterSeconds` so retry plugins and clients wait the time Google asked for.
 *
 * Retryability follows the status (core/errors.ts defaultRetryable): 429, 500, 503 and 504 may
 * succeed later; 400 (INVALID_ARGUMENT, FAILED_PRECONDITION) and 404 will not. A 401 or 403 is the
 * gateway's own key refused: a 502 `provider_auth_failed` (provider-kit's upstreamHttpError).
 * See https://ai.google.dev/gemini-api/docs/troubleshooting for the status table.
 */
import { GatewayError } from 'llm-gateway/plugin';
import { credentialsRefused, upstreamHttpError } from 'llm-gateway/provider-kit';

/** An HTTP error answer from Gemini. */
export function geminiHttpError(provider: string, status: number, headers: Record<string, string | string[] | undefined>, bodyText: string): GatewayError {
  const generic = upstreamHttpError(provider, status, headers, bodyText);
  // The gateway's own key refused (401, 403): the kit's 502 says so; Google's status adds nothing.
  if (generic.code === 'provider_auth_failed') return generic;
  const detail = readGeminiError(parseJson(bodyText));
  // Google refuses a wrong or expired key with a 400 INVALID_ARGUMENT whose ErrorInfo names it:
  // the gateway's key, not the client's request, and another target may serve.
  if (detail.reason !== undefined && KEY_REFUSED.has(detail.reason)) return credentialsRefused(provider, status, detail.message ?? detail.reason);
  const retryAfter = generic.retryAfterSeconds ?? detail.retryDelaySeconds;
  return new GatewayError(generic.kind, generic.message, {
    status: generic.status,
    code: detail.status ?? generic.code,
    param: generic.param,
    provider,
    ...(retryAfter !== undefined ? { retryAfterSeconds: retryAfter } : {}),
  });
}

/**
 * An `{error: ...}` object that arrived as a stream event, after a 200. Its `code` says what kind of
 * failure it was; without one it is a retryable upstream failure.
 */
export function geminiStreamError(provider: string, body: unknown): GatewayError {
  const detail = readGeminiError(body);
  if (detail.code !== undefined && detail.code >= 400 && detail.code < 600) {
    return geminiHttpError(provider, detail.code, {}, JSON.stringify(body));
  }
  return new GatewayError('upstream', `${provider}: ${detail.message ?? 'the provider reported an error mid-stream'}`, {
    provider,
    code: detail.status ?? 'upstream_stream_error',
    retryable: true,
  });
}

interface GeminiErrorDetail {
  code?: number;
  message?: string;
  status?: string;
  retryDelaySeconds?: number;
  /** A `google.rpc.ErrorInfo` detail's `reason` (`API_KEY_INVALID`). */
  reason?: string;
}

/** ErrorInfo reasons that mean the API key itself was refused (https://ai.google.dev/gemini-api/docs/troubleshooting). */
const KEY_REFUSED: ReadonlySet<string> = new Set(['API_KEY_INVALID', 'API_KEY_EXPIRED']);

function readGeminiError(body: unknown): GeminiErrorDetail {
  const error = isRecord(body) && isRecord(body.error) ? body.error : undefined;
  if (!error) return {};
  const detail: GeminiErrorDetail = {};
  if (typeof error.code === 'number') detail.code = error.code;
  if (typeof error.message === 'string') detail.message = error.message;
  if (typeof error.status === 'string' && error.status !== '') detail.status = error.status;
  if (Array.isArray(error.details)) {
    for (const item of error.details) {
      if (!isRecord(item) || typeof item['@type'] !== 'string') continue;
      if (item['@type'].endsWith('google.rpc.ErrorInfo') && typeof item.reason === 'string') detail.reason = item.reason;
      if (!item['@type'].endsWith('google.rpc.RetryInfo')) continue;
      const seconds = parseDuration(item.retryDelay);
      if (seconds !== undefined) detail.retryDelaySeconds = seconds;
    }
  }
  return detail;
}

/** A protobuf Duration in its JSON form: `"22s"`, `"1.5s"`. */
function parseDuration(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const match = /^(\d+(?:\.\d+)?)s$/.exec(value.trim());
  return match ? Number(match[1]) : undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
