/**
 * A plugin's own stream (an iterator, not a generator) offers the chunks it has in hand through
 * `NEXT_READY` from the public entry point, and the kernel's layers above it take them without a
 * promise each; its end still comes from `next()`.
 */
import { expect, it } from 'vitest';
import { NEXT_READY, nextReady, tapStream, type ReadyIterator } from '../../sdk/plugin.js';

it('a layer over a plugin\'s own stream hands on what that stream has in hand, then its end from next()', async () => {
  const items = ['a', 'b', 'c'];
  let at = 0;
  const own: ReadyIterator<string> = {
    next: async () => (at < items.length ? { done: false, value: items[at++]! } : { done: true, value: undefined }),
    [NEXT_READY]: () => (at > 0 && at < items.length ? { done: false, value: items[at++]! } : undefined),
  };
  const seen: string[] = [];
  const tapped = tapStream({ [Symbol.asyncIterator]: () => own }, { chunk: (c) => void seen.push(c) })[Symbol.asyncIterator]();
  expect((await tapped.next()).value).toBe('a');
  expect(nextReady(tapped)?.value).toBe('b');
  expect(nextReady(tapped)?.value).toBe('c');
  expect(nextReady(tapped)).toBeUndefined();
  expect(await tapped.next()).toEqual({ done: true, value: undefined });
  expect(seen).toEqual(['a', 'b', 'c']);
});
