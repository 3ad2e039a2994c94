/**
 * Bounded waits on a shared store: every call to Redis or PostgreSQL has one, so a stalled store
 * is an error (or a local answer) rather than a hung request.
 */
import { GatewayError } from '../errors.js';

/** The shared store did not answer in time: what a call that may not fall back on this process throws. */
export const storeUnavailable = (cause: unknown) =>
  new GatewayError('unavailable', 'The shared state store did not answer in time; try again.', { code: 'store_unavailable', retryable: true, retryAfterSeconds: 1, cause });

/** Bounds a store call: rejects once `ms` pass without an answer (the call itself may still land). */
export async function withinMs<T>(ms: number, call: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  call.catch(() => undefined);
  try {
    const late = new Promise<never>((_, reject) => {
      // A busy event loop runs this timer late, perhaps with the answer already waiting on the
      // socket: let this turn's I/O be read first (setImmediate runs after it), so that only a
      // store that has not answered is called late, not a process that was busy.
      timer = setTimeout(() => setImmediate(() => reject(new Error(`no answer within ${ms} ms`))), ms);
    });
    return await Promise.race([call, late]);
  } finally {
    clearTimeout(timer);
  }
}
