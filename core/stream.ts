/**
 * Helpers for streamed answers, which are async iterables of chunks that plugins wrap or tee;
 * nothing here buffers beyond the one chunk `primeStream` holds.
 */

/**
 * Waits for the first chunk (or the first failure) before anyone commits to a 200: an upstream
 * that fails before sending anything can then still be answered with a real HTTP error, or be
 * replaced by another target. The returned iterable replays that chunk, then continues.
 */
export async function primeStream<T>(chunks: AsyncIterable<T>): Promise<AsyncIterable<T>> {
  const iterator = chunks[Symbol.asyncIterator]();
  const first = await iterator.next();
  return {
    [Symbol.asyncIterator]() {
      let replayed = false;
      return {
        next() {
          if (!replayed) {
            replayed = true;
            return Promise.resolve(first);
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
