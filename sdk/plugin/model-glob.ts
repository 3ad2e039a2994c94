/**
 * Model globs (`openai/*`, `*mini*`), as keys and cache rules name them, matched case-insensitively.
 * Compiling a glob costs about 16 µs and matching a compiled one under 1 µs, and the same few globs
 * are asked on every request: each is compiled once and kept, in a bounded cache since globs come
 * from keys an admin may create by the thousand.
 */
import { LRUCache } from 'lru-cache';
import picomatch from 'picomatch';

const compiled = new LRUCache<string, (value: string) => boolean>({ max: 1_000 });

export function matchesModelGlob(model: string, glob: string): boolean {
  let matcher = compiled.get(glob);
  if (!matcher) {
    matcher = picomatch(glob, { nocase: true });
    compiled.set(glob, matcher);
  }
  return matcher(model);
}
