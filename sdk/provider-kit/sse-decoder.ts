/**
 * Decodes an upstream's server-sent events as they arrive, with eventsource-parser. Events are
 * yielded one by one; nothing waits for the end of the body.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { UpstreamExchange } from './http-client.js';

/** What may still follow a consumer's early stop (after `[DONE]`) before the connection is given up. */
const DRAIN_LIMIT_BYTES = 64 * 1024;

export async function* decodeSse(exchange: UpstreamExchange): AsyncGenerator<EventSourceMessage> {
  const pending: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (event) => void pending.push(event) });
  const decoder = new TextDecoder();
  const body = exchange.body;
  try {
    // destroyOnReturn: false, so that stopping at `[DONE]` does not kill a keep-alive connection.
    for await (const bytes of body.iterator({ destroyOnReturn: false })) {
      parser.feed(decoder.decode(bytes as Uint8Array, { stream: true }));
      while (pending.length > 0) yield pending.shift() as EventSourceMessage;
    }
    parser.feed(decoder.decode());
    while (pending.length > 0) yield pending.shift() as EventSourceMessage;
  } catch (cause) {
    throw exchange.failure(cause);
  } finally {
    exchange.release();
    // The consumer stopped early. After a final event the rest is usually just the end of the
    // body: drain it so the connection is reused. If more keeps coming, undici gives it up.
    if (!body.destroyed && !body.readableEnded) body.dump({ limit: DRAIN_LIMIT_BYTES }).catch(() => undefined);
  }
}
