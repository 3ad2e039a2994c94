/**
 * Helpers for streamed answers, which are async iterables of chunks that plugins wrap or tee;
 * nothing here buffers beyond the preamble `primeStream` holds.
 */
import { chunksUnchanged, isPrimed, markPassable, markPrimed, markUnchanged, passableHint } from './stream-marks.js';
import { isMeaningfulChunk } from './stream-preamble.js';
import { NEXT_READY, nextReady, type ReadyIterator } from './stream-ready.js';
import { StagedStream } from './stream-stages.js';
import { heldFor, type Release, whilePriming } from './unparsed-preamble.js';

export { chunksUnchanged, isPassable, markPassable, markUnchanged } from './stream-marks.js';
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
  const hint = passableHint(chunks);
  // Read through in-place readers only, by the kernel's own meaning (a plugin's may read anything):
  // the adapter may leave the preamble unparsed until the held chunks are handed on (core/unparsed-preamble.ts).
  const unparsed = hint !== undefined && !hint.allowed && options.meaningful === undefined ? hint : undefined;
  const read = () => readPreamble(iterator, meaningful, holdMs, maxHeld);
  const { held, pending } = unparsed === undefined ? await read() : await whilePriming(unparsed, read);
  const release = unparsed === undefined ? undefined : heldFor(unparsed);
  const primed: AsyncIterable<T> = staged !== undefined ? staged.primedWith(held, pending, release) : replaying(iterator, held, pending, release);
  if (options.meaningful === undefined) markPrimed(primed);
  if (chunksUnchanged(chunks)) markUnchanged(primed);
  return hint !== undefined ? markPassable(primed, hint) : primed;
}

/** The chunks up to the first meaningful one, or fewer: the deadline or the count cut it short, the late read left pending. */
async function readPreamble<T>(iterator: AsyncIterator<T>, meaningful: (chunk: T) => boolean, holdMs: number, maxHeld: number): Promise<{ held: Array<IteratorResult<T>>; pending?: Promise<IteratorResult<T>> }> {
  const held: Array<IteratorResult<T>> = [await iterator.next()];
  const deadline = performance.now() + holdMs;
  for (let last = held[0]!; !last.done && !meaningful(last.value) && held.length < maxHeld; ) {
    // Came in the same read (OpenAI's role chunk and the first words nearly always do): no deadline to race.
    const ready = nextReady(iterator);
    if (ready !== undefined) {
      held.push((last = ready));
      continue;
    }
    const next = iterator.next();
    const result = await beforeDeadline(next, deadline);
    if (result === undefined) {
      // Nothing meaningful in time: commit with what is held; the late chunk comes next.
      next.catch(() => undefined);
      return { held, pending: next };
    }
    held.push((last = result));
  }
  return { held };
}

/** What was held, then the late read, then the rest: a layer of its own over a stream of any kind. */
function replaying<T>(iterator: AsyncIterator<T>, held: Array<IteratorResult<T>>, pending: Promise<IteratorResult<T>> | undefined, release: Release | undefined): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator](): ReadyIterator<T> {
      return {
        next() {
          const replay = held.shift();
          if (replay) {
            if (release === undefined) return Promise.resolve(replay);
            try {
              return Promise.resolve(release(replay) as IteratorResult<T>);
            } catch (cause) {
              held.length = 0;
              pending = undefined;
              return failHeld(iterator, cause);
            }
          }
          if (pending) {
            const late = pending;
            pending = undefined;
            return late;
          }
          return iterator.next();
        },
        // What the source has in hand once the held results and the late read are handed on (core/stream-ready.ts).
        [NEXT_READY]: () => (held.length > 0 || pending !== undefined ? undefined : nextReady(iterator)),
        return(value?: unknown) {
          return iterator.return ? iterator.return(value) : Promise.resolve({ done: true as const, value: undefined as T });
        },
      };
    },
  };
}

/** A held chunk that does not parse fails the stream where it is read, as its first read would have: the rest is let go. */
async function failHeld(iterator: AsyncIterator<unknown>, cause: unknown): Promise<never> {
  try {
    await iterator.return?.();
  } catch {
    // The failure to report is the chunk's.
  }
  throw cause;
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
