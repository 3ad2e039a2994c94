/**
 * A streamed answer the client will never be sent (a plugin refused it on the way out, after
 * `await next()`; nothing read it yet) is let go at once, as a client that leaves mid-stream lets
 * it go: the request is aborted with the refusal, which ends the upstream exchange, and the
 * stream's layers are returned, so their taps' `end` runs (the attempt's end, a plugin's slot given
 * back). Otherwise the provider went on generating it, to nobody, on a held connection.
 */
import type { GatewayContext } from '../context.js';
import type { GatewayError } from '../errors.js';

export function letGoOfUnsentStream(ctx: GatewayContext, reason: GatewayError): void {
  const response = ctx.response;
  if (response?.kind !== 'stream') return;
  ctx.abort(reason);
  let iterator: AsyncIterator<unknown>;
  try {
    iterator = response.chunks[Symbol.asyncIterator]();
  } catch {
    // Handed over to a wrapper nobody kept (tapStream's rule): the abort is what ends it.
    return;
  }
  try {
    // Its end waits for nothing here: the client is answered the refusal meanwhile.
    void Promise.resolve(iterator.return?.()).catch(() => undefined);
  } catch {
    // A layer whose return() throws has let go as far as it could.
  }
}
