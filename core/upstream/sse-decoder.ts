/**
 * Decodes an upstream's server-sent events as they arrive, with eventsource-parser. Events are
 * yielded one by one; nothing waits for the end of the body.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import type { UpstreamExchange } from './http-client.js';

export async function* decodeSse(exchange: UpstreamExchange): AsyncGenerator<EventSourceMessage> {
  const pending: EventSourceMessage[] = [];
  const parser = createParser({ onEvent: (event) => void pending.push(event) });
  const decoder = new TextDecoder();
  try {
    for await (const bytes of exchange.body) {
      parser.feed(decoder.decode(bytes as Uint8Array, { stream: true }));
      while (pending.length > 0) yield pending.shift() as EventSourceMessage;
    }
    parser.feed(decoder.decode());
    while (pending.length > 0) yield pending.shift() as EventSourceMessage;
  } catch (cause) {
    throw exchange.failure(cause);
  } finally {
    exchange.release();
    // Breaking out early (the client left) must free the connection rather than leave it half-read.
    if (!exchange.body.destroyed) exchange.body.destroy();
  }
}
