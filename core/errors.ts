/**
 * One error hierarchy for the whole gateway.
 *
 * Every failure a client can see is a `GatewayError`: it carries the HTTP status, the OpenAI error
 * `type`/`code`/`param`, the provider it came from (if any) and whether another try or another
 * target could succeed. Protocol front-ends (OpenAI JSON today, Anthropic JSON later) only format it.
 *
 * Errors are recognised by a brand, not by `instanceof`, because a plugin installed from npm may
 * bring its own copy of this module.
 */
import { withoutSecrets } from './secret-values.js';

const BRAND = Symbol.for('llm-gateway.error');

/** The table of error kinds: one row per kind, so status and type never drift apart. */
export const ERROR_KINDS = {
  invalid_request: { status: 400, type: 'invalid_request_error' },
  authentication: { status: 401, type: 'authentication_error' },
  budget_exceeded: { status: 402, type: 'insufficient_quota' },
  permission: { status: 403, type: 'permission_error' },
  not_found: { status: 404, type: 'not_found_error' },
  method_not_allowed: { status: 405, type: 'invalid_request_error' },
  payload_too_large: { status: 413, type: 'invalid_request_error' },
  unsupported_media_type: { status: 415, type: 'invalid_request_error' },
  rate_limited: { status: 429, type: 'rate_limit_error' },
  /** nginx's convention: the client went away before the answer was complete. */
  client_closed: { status: 499, type: 'client_closed_request' },
  internal: { status: 500, type: 'server_error' },
  upstream: { status: 502, type: 'upstream_error' },
  unavailable: { status: 503, type: 'service_unavailable' },
  upstream_timeout: { status: 504, type: 'timeout_error' },
} as const satisfies Record<string, { status: number; type: string }>;

export type ErrorKind = keyof typeof ERROR_KINDS;

export interface GatewayErrorOptions {
  /** Overrides the kind's default status (an upstream 418 stays a 418). */
  status?: number;
  /** Overrides the kind's default OpenAI `type` (an upstream's own type is kept). */
  type?: string;
  code?: string | null;
  param?: string | null;
  /** Provider instance id the error came from, e.g. `groq`. */
  provider?: string;
  /** True when the same request may succeed on a retry or another target. */
  retryable?: boolean;
  /** Seconds after which a retry may succeed (from the upstream's `Retry-After`). */
  retryAfterSeconds?: number;
  /**
   * Fields of the upstream's own error the client should see besides message, type, code and
   * param (Azure's `innererror`, which names the content filter's category and severity;
   * Anthropic's `details`, whose `error_code` its SDK reads), or of one the gateway answers in
   * the upstream API's own terms.
   */
  upstreamFields?: Readonly<Record<string, unknown>>;
  cause?: unknown;
}

export class GatewayError extends Error {
  readonly [BRAND] = true;
  readonly kind: ErrorKind;
  readonly status: number;
  readonly type: string;
  readonly code: string | null;
  readonly param: string | null;
  readonly provider: string | undefined;
  readonly retryable: boolean;
  readonly retryAfterSeconds: number | undefined;
  readonly upstreamFields: Readonly<Record<string, unknown>> | undefined;

  constructor(kind: ErrorKind, message: string, options: GatewayErrorOptions = {}) {
    // An upstream's words may quote the gateway's own key: never carried on (core/secret-values.ts).
    super(withoutSecrets(message), options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'GatewayError';
    this.kind = kind;
    this.status = options.status ?? ERROR_KINDS[kind].status;
    this.type = options.type ?? ERROR_KINDS[kind].type;
    this.code = options.code ?? null;
    this.param = options.param ?? null;
    this.provider = options.provider;
    this.retryable = options.retryable ?? defaultRetryable(this.status);
    this.retryAfterSeconds = options.retryAfterSeconds;
    this.upstreamFields = options.upstreamFields;
  }
}

/** 408, 409 (conflicts), 425, 429 and 5xx can succeed later or elsewhere; other 4xx cannot. */
export function defaultRetryable(status: number): boolean {
  return status === 408 || status === 409 || status === 425 || status === 429 || status >= 500;
}

/**
 * What kind of failure an error is, for retry, fallback and circuit-breaker policies:
 * `client` failures (a bad request) fail the same anywhere; the others may not.
 */
export type FailureClass = 'rate_limit' | 'timeout' | 'connection' | 'server' | 'client' | 'client_closed';

export function classifyFailure(error: GatewayError): FailureClass {
  if (error.kind === 'client_closed') return 'client_closed';
  if (error.status === 429) return 'rate_limit';
  if (error.status === 408 || error.status === 504 || error.kind === 'upstream_timeout') return 'timeout';
  if (error.code === 'upstream_unreachable' || error.code === 'upstream_connection_error') return 'connection';
  if (error.status >= 500 || error.retryable) return 'server';
  return 'client';
}

/**
 * The gateway's own refusals of a deployment (a full rate-limit scope, an open circuit): nothing
 * was sent, so they say nothing of the deployment's health, and a fallback need not wait for them.
 */
export function refusedBeforeSending(error: GatewayError): boolean {
  return error.code === 'deployment_rate_limited' || error.code === 'circuit_open';
}

export function isGatewayError(value: unknown): value is GatewayError {
  return typeof value === 'object' && value !== null && (value as { [BRAND]?: unknown })[BRAND] === true;
}

// Short constructors for the common cases, so call sites read as sentences.

export const invalidRequest = (message: string, param?: string, code?: string) =>
  new GatewayError('invalid_request', message, { param: param ?? null, code: code ?? null });

export const notFound = (message: string, code = 'not_found', param?: string) =>
  new GatewayError('not_found', message, { code, param: param ?? null });

/** Anything thrown that is not a GatewayError becomes an opaque 500: its message may hold secrets. */
export function toGatewayError(error: unknown): GatewayError {
  if (isGatewayError(error)) return error;
  return new GatewayError('internal', 'The gateway failed to handle the request.', {
    code: 'internal_error',
    retryable: false,
    cause: error,
  });
}

export interface OpenAIErrorBody {
  error: { message: string; type: string; code: string | null; param: string | null; provider?: string; retryable: boolean };
}

/**
 * OpenAI's error JSON, plus the provider that failed when there is one and `retryable`: whether
 * the same request may succeed later or elsewhere (a 400 will not; a 503 may).
 */
export function toOpenAIErrorBody(error: GatewayError): OpenAIErrorBody {
  const body: OpenAIErrorBody = {
    error: { message: error.message, type: error.type, code: error.code, param: error.param, retryable: error.retryable },
  };
  if (error.provider !== undefined) body.error.provider = error.provider;
  withUpstreamFields(body.error, error);
  return body;
}

/**
 * The error's `upstreamFields` (Azure's `innererror`, Anthropic's `details`) on an API's error
 * object, beside the fields its format sets, which they never replace: every API's renderer passes
 * them on alike.
 */
export function withUpstreamFields<T extends object>(errorObject: T, error: GatewayError): T {
  if (error.upstreamFields) for (const [field, value] of Object.entries(error.upstreamFields)) if (!(field in errorObject)) (errorObject as Record<string, unknown>)[field] = value;
  return errorObject;
}
