/**
 * Writes server-sent events to the client, one write per event as it arrives, honouring
 * backpressure. What the events say (OpenAI chunks, Anthropic events) is the front-end's business.
 */
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';

export async function writeSse(res: ServerResponse, events: AsyncIterable<string>): Promise<void> {
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
  for await (const text of events) {
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

/** Resolves on 'drain', or on 'close' when the client left while we waited. */
async function drained(res: ServerResponse): Promise<void> {
  const controller = new AbortController();
  await Promise.race([
    once(res, 'drain', { signal: controller.signal }),
    once(res, 'close', { signal: controller.signal }),
  ]).catch(() => undefined);
  controller.abort();
}
