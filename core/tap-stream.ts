/**
 * Taps: watching a stream go by without changing it (counting, keeping text, acting at its end).
 *
 * A tap over a tap or a map (`mapStream`) that nobody reads yet joins it rather than wrapping it
 * in a layer of its own (core/stream-stages.ts): the full pipeline's four taps a stream share one
 * layer with the adapter's decoder and another with the front-end's encoder.
 */
import { chunksUnchanged, isPrimed, markPassable, markPrimed, markUnchanged, passableHint } from './stream-marks.js';
import { StagedStream } from './stream-stages.js';

export interface StreamTap<T> {
  /** Sees each chunk as it passes; nothing is held back. A throw ends the stream with that error. */
  chunk?(chunk: T): void;
  /**
   * `chunk` only reads chunks' named fields (`choices`, `usage`, `id`…) while it runs: it never
   * copies, spreads or keeps one. Chunks an adapter did not parse yet, whose fields are read on
   * demand, may then reach it, and the stream may still be passed through (the OpenAI-format
   * adapter parses only what such taps read, often only the answer's text: docs/plugins.md).
   */
  lazyChunks?: boolean;
  /**
   * Runs once when the stream is over, however it ended: finished (`error` undefined), failed, or
   * let go by its reader (a client that left: `letGo` true, and what passed is not the whole
   * stream). The reader learns of the end after it has run.
   */
  end?(error: unknown, letGo: boolean): void | PromiseLike<unknown>;
  /** What the reader gets instead of the source's error (and what `end` sees). */
  mapError?(error: unknown): unknown;
}

/**
 * Watches a stream without wrapping it in an async generator: each generator layer costs a stream
 * about as much as a plugin's whole bookkeeping (measured: one layer, ~90 µs of CPU per streamed
 * request under load), while this adds one promise reaction per chunk, and none when it joins
 * a tap or map below it. For plugins that only need to see chunks go by and to act when the stream
 * is over; a plugin that changes, adds or holds chunks still writes its own generator.
 *
 * Read the returned stream, not the one tapped: a tap that joined another stage hands its reading
 * over to it, and reading it afterwards is an error rather than a stream that skips the new tap.
 */
export function tapStream<T>(chunks: AsyncIterable<T>, tap: StreamTap<T>): AsyncIterable<T> {
  const tapped = StagedStream.over<T>(chunks, { tap: tap as StreamTap<unknown> });
  // A tap that only waits for the end (a rate limiter's slot) reads no chunk, and one with
  // lazyChunks reads them in place: the stream may still be passed through.
  if (isPrimed(chunks)) markPrimed(tapped);
  // A tap changes no chunk, whatever it reads: the upstream's own events may still be replayed.
  if (chunksUnchanged(chunks)) markUnchanged(tapped);
  const hint = tap.chunk === undefined || tap.lazyChunks === true ? passableHint(chunks) : undefined;
  if (hint !== undefined) markPassable(tapped, hint);
  return tapped;
}
