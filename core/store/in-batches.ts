/**
 * Reads of many records or counters a batch at a time. A store's connection is shared with the
 * requests' own reads (a key lookup, a budget): a page that asked for every key's usage at once
 * (1,200 counter reads for 300 keys) kept them waiting past their bounds.
 */

/** `Promise.all(items.map(read))`, `size` at a time, in order. */
export async function inBatches<T, R>(items: readonly T[], size: number, read: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += size) out.push(...(await Promise.all(items.slice(i, i + size).map(read))));
  return out;
}
