/**
 * Decodes an upstream's server-sent events as they arrive, with eventsource-parser. Events are
 * yielded one by one; nothing waits for the end of the body.
 *
 * Not an async generator over the body's async iterator: a held stream keeps its iterator for as
 * long as it lasts, and a suspended generator (its frame, context, pending request and promises)
 * over Node's Readable iterator (itself an async generator, with end-of-stream listeners) cost about
 * 3 KB of heap per open stream and several KB of garbage per chunk. This reads the body with
 * `read()` on 'readable' and settles one promise per event.
 *
 * One event (a line without end, or data lines without the blank line that ends their event) is
 * held up to `maxEventChars` (default 16 MiB): past that the stream fails with a retryable 502
 * `upstream_response_too_large` naming the provider, and the connection is closed.
 */
import { StringDecoder } from 'node:string_decoder';
import { createParser, type EventSourceMessage, type EventSourceParser, type ParseError } from 'eventsource-parser';
import { NEXT_READY, type ReadyIterator } from '../../core/stream-ready.js';
import { type UpstreamExchange, tooLarge } from './http-client.js';

/** What may still follow a consumer's early stop (after `[DONE]`) before the connection is given up. */
const DRAIN_LIMIT_BYTES = 64 * 1024;

/**
 * The most characters of one event held while it is incomplete (eventsource-parser's
 * `maxBufferSize`, which it checks on every feed anyway). Events are small, but a Responses stream's
 * `response.completed` repeats its whole output, base64 images included (a few MB each), so the
 * bound is generous; the kernel holds at most 64 events before a stream is committed.
 */
export const DEFAULT_MAX_EVENT_CHARS = 16 * 1024 * 1024;

export function decodeSse(exchange: UpstreamExchange, maxEventChars = DEFAULT_MAX_EVENT_CHARS): AsyncIterableIterator<EventSourceMessage> {
  return new SseEvents(exchange, maxEventChars);
}

type Body = UpstreamExchange['body'];

/**
 * The upstream's whole body is in the body's buffer, its end included (or it ended, or was
 * destroyed): nothing more comes off the connection for it. `_readableState.ended` is Node's own
 * mark of a stream whose source pushed its end, which undici's `dump` reads as well.
 */
function receivedWhole(body: Body): boolean {
  return body.destroyed || body.readableEnded || (body as { _readableState?: { ended?: boolean } })._readableState?.ended === true;
}

/** How much of an `error:` line is kept (llama.cpp's are a few hundred characters); the rest is dropped. */
const ERROR_LINE_KEPT = 16 * 1024;

/** The line from `start` to the end of `text` is, or may become, an `error:` line. */
function mayBeErrorLine(text: string, start: number): boolean {
  const length = text.length - start;
  return length >= 6 ? text.startsWith('error:', start) : 'error:'.startsWith(text.slice(start));
}

class SseEvents implements AsyncIterableIterator<EventSourceMessage>, ReadyIterator<EventSourceMessage> {
  /**
   * The events of the last read not yet handed on, from `head`: a read's events are all handed on
   * before the next read, so the queue empties and starts again rather than shifting each one off
   * (`shift` cost about 190 instructions an event).
   */
  private readonly pending: EventSourceMessage[] = [];
  private head = 0;
  private readonly parser: EventSourceParser;
  /**
   * Node's StringDecoder, not TextDecoder: a fifth of the cost per read, and a third of it per
   * stream to create (0.17 against 0.87 µs a read of three events; 0.5 against 1.1 µs), on every
   * read of every stream. Unlike TextDecoder it keeps a leading byte order mark, which SSE drops.
   */
  private readonly decoder = new StringDecoder('utf8');
  private atStart = true;
  /** Whether the next text read starts a line. */
  private lineStart = true;
  /**
   * The start of a line that may be llama.cpp's `error:` line, held until the line is whole: in
   * pieces, as they came, up to ERROR_LINE_KEPT characters (a line without end, joined again on
   * every read, cost time that grew with its square: 2 MB took 10 s).
   */
  private carry: string[] = [];
  private carried = 0;
  private readonly body: Body;
  /** The body ended ('end'); its last bytes may still wait in the decoder. */
  private ended = false;
  /** The body failed or closed before its end. */
  private failed: unknown = undefined;
  /** Over: released, nothing more is read or yielded. */
  private over = false;
  private resolve: ((result: IteratorResult<EventSourceMessage>) => void) | undefined;
  private reject: ((error: unknown) => void) | undefined;

  constructor(
    private readonly exchange: UpstreamExchange,
    private readonly maxEventChars: number,
  ) {
    this.parser = createParser({ onEvent: (event) => void this.pending.push(event), onError: this.onParseError, maxBufferSize: maxEventChars });
    const body = (this.body = exchange.body);
    body.on('readable', this.wake);
    body.on('end', this.onEnd);
    body.on('error', this.onError);
    body.on('close', this.onClose);
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  next(): Promise<IteratorResult<EventSourceMessage>> {
    try {
      const result = this.step();
      if (result) return Promise.resolve(result);
    } catch (error) {
      return Promise.reject(error as Error);
    }
    return new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }

  /** The rest of a read's events, without a promise each (core/stream-ready.ts). */
  [NEXT_READY](): IteratorYieldResult<EventSourceMessage> | undefined {
    return this.head < this.pending.length ? (this.take() as IteratorYieldResult<EventSourceMessage>) : undefined;
  }

  /** The consumer stopped early. */
  return(): Promise<IteratorResult<EventSourceMessage>> {
    if (!this.over) {
      this.finish();
      const body = this.body;
      if (receivedWhole(body)) {
        // The usual stop, at `[DONE]`, which came with the end of the body: what is left was
        // already read off the connection (which undici has reused), so it is read here, and the
        // body ends as if the reader had gone on; the listeners, which ignore what follows, stay.
        // Detaching them and dumping (four `off`s, three `on`s, a resume) cost 16 thousand
        // instructions a streamed request (docs/performance-history.md).
        while (body.read() !== null);
      } else {
        // Still arriving (neither ended nor destroyed): drain it so the connection is reused. If
        // more keeps coming than the limit, undici gives it up.
        this.detach();
        body.dump({ limit: DRAIN_LIMIT_BYTES }).catch(() => undefined);
      }
    }
    this.settle({ done: true, value: undefined });
    return Promise.resolve({ done: true, value: undefined });
  }

  /** The next result if there is one now, undefined to wait; throws the body's failure. */
  private step(): IteratorResult<EventSourceMessage> | undefined {
    if (this.head < this.pending.length) return this.take();
    if (this.over) return { done: true, value: undefined };
    if (this.failed !== undefined) {
      const cause = this.failed;
      this.finish();
      throw this.exchange.failure(cause);
    }
    for (let bytes: Uint8Array | null; (bytes = this.body.read() as Uint8Array | null) !== null; ) {
      this.feed(this.decoded(this.decoder.write(bytes as Buffer)));
      if (this.head < this.pending.length) return this.take();
    }
    if (!this.ended) return undefined;
    this.feed(this.decoded(this.decoder.end()), true);
    if (this.head < this.pending.length) return this.take();
    this.finish();
    return { done: true, value: undefined };
  }

  /** The next event in the queue; the queue starts again once it is empty. */
  private take(): IteratorResult<EventSourceMessage> {
    const pending = this.pending;
    const value = pending[this.head++]!;
    if (this.head === pending.length) {
      pending.length = 0;
      this.head = 0;
    }
    return { done: false, value };
  }

  /**
   * To the parser; except an `error:` line, a field SSE does not know and would drop, with which
   * llama.cpp's server reports a failure (then sends `[DONE]`): it becomes an `error` event, as
   * Anthropic names its own, so that a failed answer does not end as a complete one. A read may end
   * inside a line: a last line that may yet be such a line waits for its end (`carry`), and text
   * that continues a line is not taken for one (an answer's `error:` cut just before it).
   */
  private feed(text: string, last = false): void {
    let startsLine = this.lineStart;
    if (this.carry.length > 0) {
      // An error line that goes on: this read is more of it, kept while there is room.
      if (!last && text.indexOf('\n') === -1 && this.carry[0]!.startsWith('error:')) {
        if (this.carried < ERROR_LINE_KEPT) this.carry.push(text.slice(0, ERROR_LINE_KEPT - this.carried));
        this.carried += text.length;
        if (this.carried > this.maxEventChars) this.overflow();
        return;
      }
      text = this.carry.join('') + text;
      this.carry = [];
      this.carried = 0;
      startsLine = true;
    }
    if (text === '') return;
    this.lineStart = text.charCodeAt(text.length - 1) === 10;
    if (!this.lineStart && !last) {
      const tailStart = text.lastIndexOf('\n') + 1;
      if ((tailStart > 0 || startsLine) && mayBeErrorLine(text, tailStart)) {
        const tail = text.slice(tailStart, tailStart + ERROR_LINE_KEPT);
        this.carry = [tail];
        this.carried = text.length - tailStart;
        text = text.slice(0, tailStart);
        this.lineStart = true;
      }
    }
    if (!((startsLine && text.startsWith('error:')) || text.includes('\nerror:'))) return this.parser.feed(text);
    const lines = text.split(/(?<=\n)/);
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i]!;
      if ((i > 0 || startsLine) && line.startsWith('error:')) this.pending.push({ event: 'error', data: line.slice('error:'.length).trim(), id: undefined });
      else this.parser.feed(line);
    }
  }

  /** The text, without the byte order mark a stream may start with. */
  private decoded(text: string): string {
    if (!this.atStart || text === '') return text;
    this.atStart = false;
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  }

  /**
   * The parser's own complaints (an unknown field, a bad `retry`) are ignored, as before; one event
   * past `maxEventChars` (the parser has dropped it and stopped) fails the stream.
   */
  private readonly onParseError = (error: ParseError): void => {
    if (error.type === 'max-buffer-size-exceeded') this.overflow();
  };

  /** One event grew past the limit: the stream fails (thrown to the reader) and its connection is closed. */
  private overflow(): never {
    const failure = this.exchange.failure(tooLarge(`an event of the stream exceeded the ${this.maxEventChars} characters the gateway holds`));
    this.finish();
    this.body.destroy();
    throw failure;
  }

  private readonly wake = (): void => {
    if (!this.resolve) return;
    let result: IteratorResult<EventSourceMessage> | undefined;
    try {
      result = this.step();
    } catch (error) {
      const reject = this.reject!;
      this.resolve = this.reject = undefined;
      reject(error);
      return;
    }
    if (result) this.settle(result);
  };

  private settle(result: IteratorResult<EventSourceMessage>): void {
    const resolve = this.resolve;
    this.resolve = this.reject = undefined;
    resolve?.(result);
  }

  private readonly onEnd = (): void => {
    this.ended = true;
    this.wake();
  };

  private readonly onError = (error: unknown): void => {
    if (this.failed === undefined) this.failed = error ?? new Error('the body failed');
    this.wake();
  };

  /** A body destroyed before its end, without an error of its own (as the stream's async iterator would say). */
  private readonly onClose = (): void => {
    if (this.ended || this.failed !== undefined) return;
    this.failed = Object.assign(new Error('Premature close'), { code: 'ERR_STREAM_PREMATURE_CLOSE' });
    this.wake();
  };

  /** Over: nothing more is read or yielded, and the exchange is released. */
  private finish(): void {
    if (this.over) return;
    this.over = true;
    this.pending.length = 0;
    this.head = 0;
    this.exchange.release();
  }

  /**
   * The body's listeners off, where the body goes on: the reader stopped early, and the rest is
   * dumped, which a 'readable' listener would keep from flowing. After its end or its failure the
   * body emits at most 'close', which they ignore, so they stay (the four `off`s, the one of
   * 'readable' with a tick of its own, cost a stream 140 ns on Node 20 and 250 on Node 24 in a
   * microbenchmark).
   */
  private detach(): void {
    const body = this.body;
    body.off('readable', this.wake);
    body.off('end', this.onEnd);
    body.off('close', this.onClose);
    // http-client's own no-op 'error' listener stays: an abort after this is harmless.
    body.off('error', this.onError);
  }
}
