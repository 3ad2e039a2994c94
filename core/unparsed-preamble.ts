/**
 * A stream's preamble left unparsed while priming holds it (`PassThroughHint.priming`).
 *
 * Priming (`primeStream`) reads a stream's first chunks (a role, then the first words) before
 * anyone knows who reads the rest: the pass-through decision is made after it, once the plugins
 * around the stream have wrapped it. Parsing those two chunks whole was two of the three parses
 * left to a passed-through stream (the usage chunk's is the third; each about 12 thousand
 * instructions, docs/performance-history.md). So while priming reads through in-place readers
 * only (the provider call's observer, `lazyChunks` taps), an adapter may hand over chunks it did
 * not parse, as once pass-through is allowed, if each can become the chunk a parse gives
 * (`AS_PARSED`): when priming hands the held chunks on to a reader and pass-through was refused (a
 * plugin that copies or keeps chunks wraps the stream, or a front-end translates them), each such
 * chunk is replaced by that plain chunk first. A copy or an edit of it then has every field, and
 * what is written is the change.
 *
 * One thing moves: an event that is not JSON, among those held, used to fail priming (a real error
 * status, and the retry's next try); now, where priming did not have to read beyond its choices, it
 * fails where it is handed on: passed through, it goes out as the upstream wrote it, as any event
 * of a passed-through stream does; refused, it fails the stream there (with an error status if the
 * front-end's priming reads it, through a plugin's wrapper, else after the stream's start).
 */
import type { PassThroughHint } from './providers/provider.js';

/** The method of a chunk handed over unparsed that gives the chunk a parse of its event gives. */
export const AS_PARSED: unique symbol = Symbol('llm-gateway.as-parsed');

/**
 * A chunk an adapter handed over unparsed while priming (see the top of this file): `[AS_PARSED]()`
 * gives the plain chunk its event parses to, and throws the adapter's error for an event that does
 * not parse, as the adapter would have while reading it.
 */
export interface UnparsedChunk<T> {
  [AS_PARSED](): T;
}

/** While `read` runs, the hint says its chunks are held by priming over in-place readers. */
export async function whilePriming<R>(hint: PassThroughHint, read: () => Promise<R>): Promise<R> {
  const writable = hint as { priming?: boolean };
  writable.priming = true;
  try {
    return await read();
  } finally {
    writable.priming = false;
  }
}

/** How a result priming held is handed on to the reader after it (`heldFor`). */
export type Release = (result: IteratorResult<unknown>) => IteratorResult<unknown>;

/**
 * Results priming held, as the reader after it may take them: as they are once pass-through is
 * allowed (its readers read in place), else with a chunk left unparsed replaced by its plain chunk.
 * Throws what that parse throws.
 */
export function heldFor(hint: PassThroughHint): Release {
  return (result) => {
    if (hint.allowed || result.done === true) return result;
    const value = result.value as Partial<UnparsedChunk<unknown>> | null;
    const asParsed = typeof value === 'object' && value !== null ? value[AS_PARSED] : undefined;
    return asParsed === undefined ? result : { done: false, value: asParsed.call(value) };
  };
}
