/**
 * One stream turned into another, item by item, without an async generator. A held stream keeps
 * its iterators for as long as it lasts: a suspended generator keeps its frame, its pending
 * request, its promises and the last item alive across each wait for the next (under load, long
 * enough to be promoted to the old generation every time), while this keeps a closure and settles
 * one promise per item (docs/performance.md, "Memory per held stream").
 *
 * For a step that reads one item and gives one (or none) back, in order: decoding events into
 * chunks, chunks into a front-end's events (several events for one chunk are one string). A step
 * that holds items back, adds several chunks for one or awaits between them still writes its own
 * generator.
 */

/** An item that gives the reader nothing: the next one is read instead. */
export const SKIP: unique symbol = Symbol('mapStream.skip');
/** The stream is complete here: the source is let go, and `end` runs as if the source had ended. */
export const STOP: unique symbol = Symbol('mapStream.stop');

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
  const iterator = source[Symbol.asyncIterator]();
  const DONE: IteratorResult<U> = { done: true, value: undefined };
  let over = false;

  const last = (value: U | undefined): IteratorResult<U> => (value === undefined ? DONE : { done: false, value });
  const letGo = (): Promise<unknown> => {
    try {
      return Promise.resolve(iterator.return?.()).catch(() => undefined);
    } catch {
      return Promise.resolve();
    }
  };
  const failed = (cause: unknown): IteratorResult<U> => {
    over = true;
    if (!mapping.error) throw cause;
    return last(mapping.error(cause));
  };
  const ended = (): IteratorResult<U> => {
    over = true;
    try {
      return last(mapping.end?.());
    } catch (cause) {
      return failed(cause);
    }
  };
  const onResult = (result: IteratorResult<T>): IteratorResult<U> | Promise<IteratorResult<U>> => {
    if (result.done) return ended();
    let mapped: U | typeof SKIP | typeof STOP;
    try {
      mapped = mapping.item(result.value);
    } catch (cause) {
      // As a generator's loop would: the source is let go, then the failure is handled.
      over = true;
      return letGo().then(() => failed(cause));
    }
    if (mapped === SKIP) return iterator.next().then(onResult, failed);
    if (mapped === STOP) {
      over = true;
      return letGo().then(ended);
    }
    return { done: false, value: mapped };
  };

  const mapped: AsyncIterator<U> = {
    next: () => (over ? Promise.resolve(DONE) : iterator.next().then(onResult, failed)),
    return: () => {
      if (over) return Promise.resolve(DONE);
      over = true;
      return letGo().then(() => DONE);
    },
  };
  return { [Symbol.asyncIterator]: () => mapped };
}
