/**
 * Items a stream has in hand, taken without a promise each.
 *
 * An upstream's read often holds many events (a burst of tokens, or a whole short answer), and
 * every layer of a stream (the SSE decoder, the layer of maps and taps, the writer) settled a
 * promise per event and resumed its reader for it: several microtasks an event, for items that
 * were all there at once. A layer that can say "the next item is here already" offers
 * `[NEXT_READY]`; a reader that got an item from `next()` asks it for the rest of what is in hand
 * before it awaits again. Ends and failures still come only from `next()`, so the order of
 * everything a stream does (a tap's end, a map's last item, letting go) is what it was.
 *
 * Optional at every layer: a stream that does not offer it (a plugin's own generator) is read
 * through `next()` alone, as before. The key is `Symbol.for`, so a plugin package that resolves its
 * own copy of `llm-gateway` still takes part.
 */

export const NEXT_READY: unique symbol = Symbol.for('llm-gateway.stream.next-ready');

export interface ReadyIterator<T> extends AsyncIterator<T> {
  /** The next item if it is in hand now; undefined when it is not, or when what comes next is an end or a failure (ask `next()`). */
  [NEXT_READY]?(): IteratorYieldResult<T> | undefined;
}

/** What `iterator` has in hand now (see NEXT_READY), or undefined. */
export function nextReady<T>(iterator: AsyncIterator<T>): IteratorYieldResult<T> | undefined {
  return (iterator as ReadyIterator<T>)[NEXT_READY]?.();
}
