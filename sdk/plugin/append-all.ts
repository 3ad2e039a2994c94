/**
 * `target.push(...items)` without an argument an item. Spread into a call, a list a client or an
 * upstream makes long (a turn's 100,000 parts, a chunk's 150,000 log probabilities) overflows the
 * stack: a RangeError where the request was fine.
 */
export function appendAll<T>(target: T[], items: readonly T[]): void {
  for (const item of items) target.push(item);
}
