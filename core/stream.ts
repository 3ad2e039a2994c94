/**
 * Helpers for streamed answers, which are async iterables of chunks that plugins wrap or tee;
 * nothing here buffers beyond the preamble `primeStream` holds.
 */
import { isPassable, isPrimed, markPassable, markPrimed } from './stream-marks.js';
import { isMeaningfulChunk } from './stream-preamble.js';
import { StagedStream } from './stream-stages.js';

export { isPassable, markPassable } from './stream-marks.js';
export { isMeaningfulChunk } from './stream-preamble.js';
export { tapStream, type StreamTap } from './tap-stream.js';

export interface PrimeOptions<T> {
  /** Whether a chunk says something: the stream commits on the first that does. Default `isMeaningfulChunk`. */
  meaningful?: (chunk: T) => boolean;
  /** After the first chunk, how long preamble is held before committing anyway. Default 10 000 ms. */
  holdMs?: number;
  /** Most preamble chunks held. Default 64. */
  maxHeld?: number;
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
  // Maps and taps nobody reads yet (an adapter's decoder, the provider call's taps): the primed
  // stream goes on in their layer, and the taps added around it join it (core/stream-stages.ts).
  const staged = chunks instanceof StagedStream && chunks.unread ? (chunks as StagedStream<T>) : undefined;
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
  const primed: AsyncIterable<T> = staged !== undefined ? staged.primedWith(held, pending) : replaying(iterator, held, pending);
  if (options.meaningful === undefined) markPrimed(primed);
  return isPassable(chunks) ? markPassable(primed) : primed;
}

/** What was held, then the late read, then the rest: a layer of its own over a stream of any kind. */
function replaying<T>(iterator: AsyncIterator<T>, held: Array<IteratorResult<T>>, pending: Promise<IteratorResult<T>> | undefined): AsyncIterable<T> {
  return {
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
