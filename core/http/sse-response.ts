/**
 * Writes a streamed chat completion to the client as server-sent events, one write per chunk as it
 * arrives, honouring backpressure. A failure after the first byte ends the stream with an OpenAI
 * error event and no `[DONE]`, so a cut answer never looks like a complete one.
 */
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import type { GatewayContext } from '../context.js';
import { isGatewayError, toGatewayError, toOpenAIErrorBody } from '../errors.js';

const DONE = 'data: [DONE]\n\n';

export async function writeSseResponse(res: ServerResponse, ctx: GatewayContext, chunks: AsyncIterable<unknown>): Promise<void> {
  res.statusCode = 200;
  res.setHeader('content-type', 'text/event-stream; charset=utf-8');
  res.setHeader('cache-control', 'no-cache');
  // Tell reverse proxies (nginx) not to buffer the stream.
  res.setHeader('x-accel-buffering', 'no');
  res.flushHeaders();

  let corked = false;
  const uncork = () => {
    corked = false;
    res.uncork();
  };
  for await (const text of encodeEvents(ctx, chunks)) {
    if (res.destroyed) break;
    // Events decoded from one upstream read arrive in the same tick: send them in one syscall.
    // The cork is lifted at the end of this tick, so nothing waits for later data.
    if (!corked) {
      corked = true;
      res.cork();
      process.nextTick(uncork);
    }
    if (!res.write(text)) await drained(res);
  }
  if (!res.destroyed) res.end();
}

async function* encodeEvents(ctx: GatewayContext, chunks: AsyncIterable<unknown>): AsyncGenerator<string> {
  try {
    for await (const chunk of chunks) {
      ctx.timings.firstByteMs ??= ctx.elapsed();
      yield `data: ${JSON.stringify(chunk)}\n\n`;
    }
    yield DONE;
  } catch (cause) {
    if (clientGone(ctx)) return;
    const error = toGatewayError(cause);
    ctx.error = error;
    yield `data: ${JSON.stringify(toOpenAIErrorBody(error))}\n\n`;
  }
}

function clientGone(ctx: GatewayContext): boolean {
  return ctx.signal.aborted && isGatewayError(ctx.signal.reason) && ctx.signal.reason.kind === 'client_closed';
}

/** Resolves on 'drain', or on 'close' when the client left while we waited. */
async function drained(res: ServerResponse): Promise<void> {
  const controller = new AbortController();
  await Promise.race([
    once(res, 'drain', { signal: controller.signal }),
    once(res, 'close', { signal: controller.signal }),
  ]).catch(() => undefined);
  controller.abort();
}
