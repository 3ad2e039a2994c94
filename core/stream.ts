/**
 * Helpers for streamed answers, which are async iterables of chunks that plugins wrap or tee;
 * nothing here buffers beyond the preamble `primeStream` holds.
 */
import { isMeaningfulChunk } from './stream-preamble.js';

export { isMeaningfulChunk } from './stream-preamble.js';

export interface PrimeOptions<T> {
  /** Whether a chunk says something: the stream commits on the first that does. Default `isMeaningfulChunk`. */
  meaningful?: (chunk: T) => boolean;
  /** After the first chunk, how long preamble is held before committing anyway. Default 10 000 ms. */
  holdMs?: number;
  /** Most preamble chunks held. Default 64. */
  maxHeld?: number;
}

/**
 * Marks a stream whose chunks are only read where they are (the provider call's own observer over
 * an adapter's stream): with nothing else wrapped around it by the time the front-end writes it,
 * the adapter may pass the rest through unparsed (see `PassThroughHint`). `primeStream` keeps the
 * mark, since it reads only the preamble, and so does a `tapStream` tap without a `chunk` callback
 * or with `lazyChunks`; any other wrapper (a tap that may keep chunks, a generator) drops it, as
 * its result is a new iterable.
 */
const PASSABLE: unique symbol = Symbol('llm-gateway.passable');

type Marked = { [PASSABLE]?: true };

export function markPassable<S extends AsyncIterable<unknown>>(chunks: S): S {
  (chunks as Marked)[PASSABLE] = true;
  return chunks;
}

export function isPassable(chunks: AsyncIterable<unknown>): boolean {
  return (chunks as Marked)[PASSABLE] === true;
}

/**
 * Marks a stream whose first meaningful chunk is already in hand (`primeStream` with its default
 * meaning): priming it again would only replay it. A `tapStream` tap keeps the mark, since it
 * neither holds nor changes chunks; any other wrapper drops it. So the retry's priming, inside its
 * loop, is the one the front-end's exchange uses, taps between them or not.
 */
const PRIMED: unique symbol = Symbol('llm-gateway.primed');

type Primed = { [PRIMED]?: true };

const isPrimed = (chunks: AsyncIterable<unknown>): boolean => (chunks as Primed)[PRIMED] === true;

function markPrimed(chunks: AsyncIterable<unknown>): void {
  (chunks as Primed)[PRIMED] = true;
}

/**
 * Waits for the stream's first meaningful chunk (or its first failure, or its end) before anyone
 * commits to a 200: a preamble (OpenAI's role-only chunk, Anthropic's `message_start` and `ping`,
 * Gemini's empty candidate) says nothing yet, so an upstream that fails after it can still be
 * answered with a real HTTP error, or be replaced by another target, and the client sees one clean
 * stream. The first meaningful chunk is passed on the moment it arrives: time to first token does
 * not change. The held preamble is bounded in time and count. The returned iterable replays what
 * was held, then continues.
 */
export async function primeStream<T>(chunks: AsyncIterable<T>, options: PrimeOptions<T> = {}): Promise<AsyncIterable<T>> {
  // Primed already (see PRIMED): a second hold would wait for nothing, or wait again for a preamble
  // that was committed without a meaningful chunk.
  if (options.meaningful === undefined && isPrimed(chunks)) return chunks;
  const { meaningful = isMeaningfulChunk, holdMs = 10_000, maxHeld = 64 } = options;
  const iterator = chunks[Symbol.asyncIterator]();
  const held: Array<IteratorResult<T>> = [await iterator.next()];
  let pending: Promise<IteratorResult<T>> | undefined;
  const deadline = performance.now() + holdMs;
  for (let last = held[0]!; !last.done && !meaningful(last.value) && held.length < maxHeld; ) {
    const next = iterator.next();
    const result = await beforeDeadline(next, deadline);
    if (result === undefined) {
      // Nothing meaningful in time: commit with what is held; the late chunk comes next.
      pending = next;
      next.catch(() => undefined);
      break;
    }
    held.push((last = result));
  }
  const primed: AsyncIterable<T> = {
    [Symbol.asyncIterator]() {
      return {
        next() {
          const replay = held.shift();
          if (replay) return Promise.resolve(replay);
          if (pending) {
            const late = pending;
            pending = undefined;
            return late;
          }
          return iterator.next();
        },
        return(value?: unknown) {
          return iterator.return ? iterator.return(value) : Promise.resolve({ done: true as const, value: undefined as T });
        },
      };
    },
  };
  if (options.meaningful === undefined) markPrimed(primed);
  return isPassable(chunks) ? markPassable(primed) : primed;
}

/** The result, or undefined when the deadline passes first (the promise is left to its owner). */
async function beforeDeadline<R>(promise: Promise<R>, deadline: number): Promise<R | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), Math.max(0, deadline - performance.now()))));
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

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
   * let go by its reader (a client that left). The reader learns of the end after it has run.
   */
  end?(error: unknown): void | PromiseLike<unknown>;
  /** What the reader gets instead of the source's error (and what `end` sees). */
  mapError?(error: unknown): unknown;
}

/**
 * Watches a stream without wrapping it in an async generator: each generator layer costs a stream
 * about as much as a plugin's whole bookkeeping (measured: one layer, ~90 µs of CPU per streamed
 * request under load), while this adds one promise reaction per chunk. For plugins that only need
 * to see chunks go by (counting, keeping text) and to act when the stream is over; a plugin that
 * changes, adds or holds chunks still writes its own generator.
 */
export function tapStream<T>(chunks: AsyncIterable<T>, tap: StreamTap<T>): AsyncIterable<T> {
  const iterator = chunks[Symbol.asyncIterator]();
  let over = false;
  const finish = (error: unknown): Promise<void> => {
    if (over) return Promise.resolve();
    over = true;
    try {
      return Promise.resolve(tap.end?.(error)).then(() => undefined);
    } catch (thrown) {
      return Promise.reject(thrown as Error);
    }
  };
  const fail = (cause: unknown): Promise<never> => {
    const error = tap.mapError ? tap.mapError(cause) : cause;
    return finish(error).then(() => Promise.reject(error as Error));
  };
  // Made once per stream, not per chunk: a held stream's garbage is mostly what each chunk makes.
  const onResult = (result: IteratorResult<T>): IteratorResult<T> | Promise<IteratorResult<T>> => {
    if (result.done) return finish(undefined).then(() => result);
    if (tap.chunk) {
      try {
        tap.chunk(result.value);
      } catch (error) {
        // As a generator would: the source is let go, then the reader gets the error.
        return Promise.resolve(iterator.return?.())
          .catch(() => undefined)
          .then(() => fail(error));
      }
    }
    return result;
  };
  const tapped: AsyncIterator<T> = {
    next: () => iterator.next().then(onResult, fail),
    return(value?: unknown) {
      const letGo = iterator.return ? iterator.return(value) : Promise.resolve({ done: true as const, value: undefined as T });
      return letGo.then(
        (result) => finish(undefined).then(() => result),
        (error: unknown) => fail(error),
      );
    },
  };
  const result: AsyncIterable<T> = { [Symbol.asyncIterator]: () => tapped };
  // A tap that only waits for the end (a rate limiter's slot) reads no chunk, and one with
  // lazyChunks reads them in place: the stream may still be passed through.
  if (isPrimed(chunks)) markPrimed(result);
  return (tap.chunk === undefined || tap.lazyChunks === true) && isPassable(chunks) ? markPassable(result) : result;
}
