/**
 * The answer when every target failed: a 429 when they are all rate-limited, a 503 otherwise, with
 * `Retry-After` set to the earliest moment one said it frees up, and each target's failure named.
 */
import { GatewayError, classifyFailure } from 'llm-gateway/plugin';
import type { Target } from 'llm-gateway/provider-kit';

export interface Failure {
  readonly target: Target;
  readonly error: GatewayError;
}

export function exhaustedError(failed: readonly Failure[]): GatewayError {
  const errors = failed.map((f) => f.error);
  const allRateLimited = errors.length > 0 && errors.every((e) => classifyFailure(e) === 'rate_limit');
  const waits = errors.flatMap((e) => (e.retryAfterSeconds !== undefined ? [e.retryAfterSeconds] : []));
  const targets = new Set(failed.map((a) => `${a.target.provider}/${a.target.model}`));
  const detail = failed.map((f) => `${f.target.provider}/${f.target.model}: ${f.error.status} ${f.error.message}`).join('; ');
  return new GatewayError(
    allRateLimited ? 'rate_limited' : 'unavailable',
    `All ${targets.size} targets failed after ${failed.length} attempts (${detail}).`,
    {
      code: allRateLimited ? 'all_targets_rate_limited' : 'all_targets_failed',
      retryable: true,
      ...(waits.length > 0 ? { retryAfterSeconds: Math.min(...waits) } : {}),
    },
  );
}
