/**
 * How long to wait before trying the same target again: exponential backoff with full jitter
 * (spreads retries of many clients apart), unless the upstream said when (`Retry-After`).
 */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  multiplier: number;
  /** `full`: a random delay in [0, computed]; `none`: exactly the computed delay. */
  jitter: 'full' | 'none';
}

/** Delay before retry number `retry` (0 for the first retry). */
export function backoffDelay(retry: number, options: BackoffOptions, retryAfterSeconds?: number, random: () => number = Math.random): number {
  if (retryAfterSeconds !== undefined) return Math.max(0, retryAfterSeconds * 1000);
  const computed = Math.min(options.maxMs, options.initialMs * options.multiplier ** retry);
  return options.jitter === 'full' ? Math.round(random() * computed) : computed;
}
