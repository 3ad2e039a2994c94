/**
 * One stream turned into another, item by item, without an async generator. A held stream keeps
 * its iterators for as long as it lasts: a suspended generator keeps its frame, its pending
 * request, its promises and the last item alive across each wait for the next (under load, long
 * enough to be promoted to the old generation every time), while this keeps a closure and settles
 * one promise per item (docs/performance-history.md, "Memory per held stream").
 *
 * For a step that reads one item and gives one (or none) back, in order: decoding events into
 * chunks, chunks into a front-end's events (several events for one chunk are one string). A step
 * that holds items back, adds several chunks for one or awaits between them still writes its own
 * generator.
 *
 * A map over a map or a tap (`tapStream`) that nobody reads yet joins it, in one layer over the
 * same source (core/stream-stages.ts). Read the returned stream, not the one mapped.
 */

import { SKIP, STOP, StagedStream } from './stream-stages.js';

export { SKIP, STOP } from './stream-stages.js';

export interface StreamMapping<T, U> {
  /** What the reader gets for one item, `SKIP` or `STOP`. A throw lets the source go and fails the stream. */
  item(value: T): U | typeof SKIP | typeof STOP;
  /** The source ended (or `STOP`): one last item, or undefined. A throw fails the stream. */
  end?(): U | undefined;
  /**
   * The stream failed (the source, `item` or `end`): one last item for the reader instead of the
   * error, or undefined to end quietly. Without it, or when it throws, the reader gets the error.
   */
  error?(cause: unknown): U | undefined;
}

export function mapStream<T, U>(source: AsyncIterable<T>, mapping: StreamMapping<T, U>): AsyncIterable<U> {
  return StagedStream.over<U>(source, { mapping: mapping as StreamMapping<unknown, unknown> });
}
