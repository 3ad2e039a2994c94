/**
 * `gateway:retry`: retry a failing target with backoff, then fall back to the route's next target.
 *
 * Options: how many tries per target, the backoff, which failures are retried and which fall back,
 * and a deadline for the whole request. On the way in it does nothing; around each upstream try it
 * catches a failure and decides: same target again (after a backoff, or the upstream's
 * `Retry-After`), the next target, or give up. Streams fall back only before their first chunk
 * reached the client: the kernel primes the first chunk inside this loop, so a stream that fails
 * before sending anything is retried like any other failure, and one that fails later ends with an
 * error event.
 *
 * @example
 * plugins: [retry({ attempts: 2, fallbackOn: ['rate_limit', 'server', 'timeout', 'connection'] })]
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type FailureClass, GatewayError, classifyFailure, definePlugin, primeStream, refusedBeforeSending, toGatewayError } from 'llm-gateway/plugin';
import { backoffDelay, type BackoffOptions } from './backoff.js';
import { exhaustedError, type Failure } from './exhausted.js';

type RetriableClass = Exclude<FailureClass, 'client' | 'client_closed'>;
const RETRIABLE: readonly RetriableClass[] = ['rate_limit', 'timeout', 'connection', 'server'];

export interface RetryOptions {
  /** Tries per target, the first included. Default 2. */
  attempts?: number;
  backoff?: Partial<BackoffOptions>;
  /** Failures worth another try on the same target. Default: all but client errors. */
  retryOn?: RetriableClass[];
  /** Failures that move on to the next target. Default: all but client errors. */
  fallbackOn?: RetriableClass[];
  /** A `Retry-After` longer than this is not waited for: the next target is tried instead. Default 10 000 ms. */
  maxRetryAfterMs?: number;
  /** Total time for the request, from its arrival, across every try. Default 120 000 ms. */
  deadlineMs?: number;
}

/** One target failed: its own error when it was the only one tried, else the summary of them all. */
function giveUp(failures: readonly Failure[]) {
  const targets = new Set(failures.map((f) => f.target));
  return targets.size > 1 ? exhaustedError(failures) : failures.at(-1)!.error;
}

const classes = { type: 'array', items: { enum: [...RETRIABLE] }, uniqueItems: true };

/** What the client hears when the request's deadline passed before any answer started. */
function deadlineError(deadlineMs: number): GatewayError {
  return new GatewayError('upstream_timeout', `The request's deadline of ${deadlineMs} ms passed before an answer started.`, { code: 'deadline_exceeded', retryable: false });
}

const defaults = {
  attempts: 2,
  backoff: { initialMs: 250, maxMs: 8000, multiplier: 2, jitter: 'full' },
  retryOn: [...RETRIABLE],
  fallbackOn: [...RETRIABLE],
  maxRetryAfterMs: 10_000,
  deadlineMs: 120_000,
} satisfies RetryOptions;

export const retry = definePlugin<RetryOptions, typeof defaults>({
  name: 'gateway:retry',
  schema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      attempts: { type: 'integer', minimum: 1, maximum: 10 },
      backoff: {
        type: 'object',
        additionalProperties: false,
        properties: {
          initialMs: { type: 'integer', minimum: 0 },
          maxMs: { type: 'integer', minimum: 0 },
          multiplier: { type: 'number', minimum: 1 },
          jitter: { enum: ['full', 'none'] },
        },
      },
      retryOn: classes,
      fallbackOn: classes,
      maxRetryAfterMs: { type: 'integer', minimum: 0 },
      deadlineMs: { type: 'integer', minimum: 1 },
    },
  },
  defaults,
  setup(_host, options) {
    const { attempts, backoff, maxRetryAfterMs, deadlineMs } = options;
    const retryOn = new Set<FailureClass>(options.retryOn);
    const fallbackOn = new Set<FailureClass>(options.fallbackOn);

    return {
      upstream: (next) =>
        async function retryAndFallBack(call) {
          const { ctx } = call;
          const targets = ctx.route?.targets ?? [call.target];
          const failures: Failure[] = [];
          // The deadline is the request's, across every try: it cuts a try still waiting for its
          // answer to start, and is lifted once one has (a stream reaching the client is no longer
          // its business).
          let pastDeadline: GatewayError | undefined;
          const liftDeadline = ctx.abortAt(deadlineMs, () => (pastDeadline = deadlineError(deadlineMs)));
          try {
            for (let t = Math.max(0, targets.indexOf(call.target)); t < targets.length; t++) {
              const target = targets[t]!;
              for (let tryNumber = 0; tryNumber < attempts; tryNumber++) {
                try {
                  const result = await next({ ...call, target });
                  return result.kind === 'stream' ? { ...result, chunks: await primeStream(result.chunks) } : result;
                } catch (cause) {
                  const error = toGatewayError(cause);
                  const kind = classifyFailure(error);
                  if (kind === 'client' || kind === 'client_closed') throw error;
                  // Aborted for another reason than the deadline (the client left): nobody to answer.
                  if (ctx.signal.aborted && ctx.signal.reason !== pastDeadline) throw error;
                  failures.push({ target, error });

                  const canFallBack = !pastDeadline && fallbackOn.has(kind) && t < targets.length - 1 && ctx.elapsed() < deadlineMs;
                  // Refused here, before anything was sent (a full rate-limit scope, an open
                  // circuit): the next target is asked at once rather than this one again later.
                  if (canFallBack && refusedBeforeSending(error)) break; // its Retry-After is this target's; another may serve now
                  const wait = backoffDelay(tryNumber, backoff, error.retryAfterSeconds);
                  const waitTooLong = error.retryAfterSeconds !== undefined && wait > maxRetryAfterMs;
                  const again = !pastDeadline && tryNumber < attempts - 1 && retryOn.has(kind) && !waitTooLong && ctx.elapsed() + wait <= deadlineMs;
                  if (again) {
                    await sleep(wait, undefined, { signal: ctx.signal }).catch(() => undefined);
                    if (ctx.signal.aborted) throw pastDeadline ?? error;
                    continue;
                  }
                  if (canFallBack) break;
                  throw giveUp(failures);
                }
              }
            }
            throw giveUp(failures);
          } finally {
            liftDeadline();
          }
        },
    };
  },
});
