/**
 * What an adapter does with a request field its provider cannot honour (`n > 1` for Anthropic,
 * audio for a text-only API): by default the client gets a 400 naming the provider and the field;
 * a provider configured with `unsupportedParams: 'drop'` leaves the field out instead. Nothing is
 * dropped silently unless the config says so.
 */
import { GatewayError } from '../errors.js';

export type UnsupportedParamsPolicy = 'error' | 'drop';

export const unsupportedParamsSchema = { type: 'string', enum: ['error', 'drop'], default: 'error' } as const;

export function unsupportedParam(provider: string, param: string, why: string, errorFields?: Readonly<Record<string, unknown>>): GatewayError {
  return new GatewayError('invalid_request', `${provider} does not support '${param}': ${why}`, {
    provider,
    param,
    code: 'unsupported_parameter',
    retryable: false,
    ...(errorFields ? { upstreamFields: errorFields } : {}),
  });
}

/**
 * Applies the policy to one field: throws under 'error', returns false under 'drop' (the caller
 * leaves the field out).
 * @example if (body.n > 1 && reject(policy, 'anthropic', 'n', 'one choice per request')) ...
 */
export function rejectUnsupported(policy: UnsupportedParamsPolicy, provider: string, param: string, why: string): false {
  if (policy === 'error') throw unsupportedParam(provider, param, why);
  return false;
}
