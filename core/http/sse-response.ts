/**
 * Writes server-sent events to the client, one write per event as it arrives, honouring
 * backpressure. What the events say (OpenAI chunks, Anthropic events) is the front-end's business;
 * so is their framing: a front-end whose API streams something else (Ollama's newline-delimited
 * JSON) names its own content type.
 *
 * No `res.cork()` here, on purpose: Node's own `res.write()` already corks the socket and uncorks
 * it on the next tick, so events decoded from one upstream read leave in one `writev`. Corking the
 * response as well breaks Node 22: there a corked response buffers its chunks until the matching
 * `uncork()`, but `end()` writes the terminating chunk before flushing that buffer, so everything
 * written in the last tick arrives after the end of the body (every stream whose events arrive in
 * one read was empty). Node 24 flushes first; Node 20 has no such buffer.
 */
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';

export const SSE_CONTENT_TYPE = 'text/event-stream; charset=utf-8';

export async function writeSse(res: ServerResponse, events: AsyncIterable<string>, contentType: string = SSE_CONTENT_TYPE): Promise<void> {
  res.statusCode = 200;
  res.setHeader('content-type', contentType);
  res.setHeader('cache-control', 'no-cache');
  // Tell reverse proxies (nginx) not to buffer the stream.
  res.setHeader('x-accel-buffering', 'no');
  res.flushHeaders();

  for await (const text of events) {
    if (res.destroyed) break;
    if (!res.write(text)) await drained(res);
  }
  if (!res.destroyed) res.end();
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
