/**
 * Globs on names and values (`openai/*`, `*mini*`, `my-batch-job*`), as keys, rules and cache rules
 * write them. picomatch compiles them, but it is a path matcher: its `*` stops at a `/`, and model
 * names (`openrouter/meta-llama/llama-3.3-70b-instruct`) and header values (`my-batch-job/1.4`)
 * hold slashes that are not path separators. So the slash is swapped for a character no name
 * holds, in the glob and in each value, and `*` and `?` cross it like any other character.
 */
import { LRUCache } from 'lru-cache';
import picomatch from 'picomatch';

/** A private-use character: never in a model name or a header value a glob is asked about. */
const NOT_A_SEPARATOR = '\uE000';
const SLASHES = /\//g;

export type GlobMatcher = (value: string) => boolean;

/**
 * The longest value a glob is asked about; a longer one matches none. picomatch's `*`s between
 * literals retry at every position, so a client's value costs time that grows with its square: a
 * model name of 120 KB (`claude` over and over, against `*claude*sonnet*`) took a second. Names
 * and header values are far shorter.
 */
export const LONGEST_GLOB_VALUE = 1024;

export function compileGlob(glob: string, options: { nocase?: boolean } = {}): GlobMatcher {
  const matches = picomatch(glob.replace(SLASHES, NOT_A_SEPARATOR), { nocase: options.nocase ?? false, dot: true });
  return (value) => value.length <= LONGEST_GLOB_VALUE && matches(value.includes('/') ? value.replace(SLASHES, NOT_A_SEPARATOR) : value);
}

/**
 * Compiling a glob costs about 16 µs and matching a compiled one under 1 µs, and the same few globs
 * are asked on every request: each is compiled once and kept, in a bounded cache since globs come
 * from keys an admin may create by the thousand.
 */
const compiled = new LRUCache<string, GlobMatcher>({ max: 1_000 });

/** A model glob, matched case-insensitively. */
export function matchesModelGlob(model: string, glob: string): boolean {
  let matcher = compiled.get(glob);
  if (!matcher) {
    matcher = compileGlob(glob, { nocase: true });
    compiled.set(glob, matcher);
  }
  return matcher(model);
}
