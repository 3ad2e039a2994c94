/**
 * Which BPE encoding an OpenAI model uses, and a counter for each.
 *
 * Tokenizer: `gpt-tokenizer` (pure JS, MIT, no dependencies) rather than `js-tiktoken`. Both ship
 * their rank tables inside the package, so nothing is fetched at run time. gpt-tokenizer wins on:
 * - load time: its per-encoding entry points are ready to use once loaded (~0.3 s for o200k_base
 *   on a 2-core machine), while js-tiktoken decodes a base64 rank table in its constructor
 *   (~0.8 s for o200k_base, measured on the same machine);
 * - `countTokens` counts without building the token array;
 * - it is kept current with OpenAI's models (4.0.0 knows gpt-5.x and the o-series).
 *
 * Only the two encodings current models use are ever loaded (not p50k, r50k or harmony), and each
 * only when a model first needs it: the rank tables cost ~0.5 s and ~100 MB together, which a
 * gateway that never counts, or never sees a cl100k model, should not pay at start. The load must
 * stay synchronous (counting is), so it goes through `require` and the package's CommonJS build.
 * A plugin that knows it will count calls `preloadEncodings()` in its setup, so that the first
 * request does not wait.
 */
import { createRequire } from 'node:module';
import { LRUCache } from 'lru-cache';

export type EncodingName = 'o200k_base' | 'cl100k_base';

/** Every encoding this counter knows, the order `preloadEncodings` loads them in. */
export const ENCODINGS: readonly EncodingName[] = ['o200k_base', 'cl100k_base'];

type EncodingModule = typeof import('gpt-tokenizer/encoding/o200k_base');

const require = createRequire(import.meta.url);
const MODULES: Record<EncodingName, string> = {
  o200k_base: 'gpt-tokenizer/encoding/o200k_base',
  cl100k_base: 'gpt-tokenizer/encoding/cl100k_base',
};
const loaded = new Map<EncodingName, EncodingModule>();

/** Text is counted as OpenAI's API counts user text: `<|endoftext|>` typed by a user is plain text, not a special token (the default would throw). */
const PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

// Order matters: gpt-4o / gpt-4.1 must be decided before the cl100k `gpt-4` rule.
const O200K = [/^gpt-4o/, /^chatgpt-4o/, /^gpt-4\.1/, /^gpt-5/, /^o[134](?:-|$)/];
const CL100K = [/^gpt-4(?:-|$)/, /^gpt-3\.5-turbo/, /^gpt-35-turbo/, /^text-embedding-3-/, /^text-embedding-ada-002/];

/**
 * The model id as OpenAI names it: without the gateway's or a router's `provider/` prefix and
 * without a fine-tune's `ft:` marker (`ft:gpt-4o-mini-2024-07-18:org::id` tokenizes as its base).
 */
export function bareModelId(model: string): string {
  const id = model.slice(model.lastIndexOf('/') + 1).trim().toLowerCase();
  return id.startsWith('ft:') ? id.slice(3) : id;
}

/**
 * @example
 * encodingFor('openai/gpt-4o-2024-08-06') // 'o200k_base'
 * encodingFor('gpt-3.5-turbo')            // 'cl100k_base'
 * encodingFor('claude-sonnet-4-5')        // undefined
 */
export function encodingFor(model: string): EncodingName | undefined {
  const id = bareModelId(model);
  if (O200K.some((pattern) => pattern.test(id))) return 'o200k_base';
  if (CL100K.some((pattern) => pattern.test(id))) return 'cl100k_base';
  return undefined;
}

/**
 * A conversation is sent again with every turn: an agent's request carries every earlier message
 * and file, hundreds of KB, and counting all of it took 3 ms a request (167 KB, o200k), on the
 * event loop. So long texts' counts are remembered, per encoding, bounded by the characters held:
 * a message counted once is found again the next turn. Short texts (roles, names, a chat's one
 * line) are counted afresh; remembering them would cost more than counting.
 *
 * They are found by their length, then compared whole, not used as Map keys: a text parsed from a
 * request is a new string, and V8 hashes every character of a new string the first time it is a
 * key (240 µs for an agent's 174 KB of messages, more than parsing them), where comparing two equal
 * strings is a memory compare (a few µs). Texts of one length share a bucket (a conversation's
 * messages may well have the same length), of at most 64: a lookup compares at most that many
 * texts, which even when each differs only at its end is far less than tokenizing one.
 */
const REMEMBERED_CHARS = 4_000_000;
const TEXTS_PER_LENGTH = 64;
const remembered = new Map<EncodingName, RememberedCounts>();

export function counterFor(encoding: EncodingName): (text: string) => number {
  const tokenizer = load(encoding);
  let counts = remembered.get(encoding);
  if (!counts) remembered.set(encoding, (counts = new RememberedCounts()));
  const memo = counts;
  const countWhole = (text: string) => tokenizer.countTokens(text, PLAIN_TEXT);
  return (text) => {
    if (text.length < LONGEST_PART) return countWhole(text);
    if (text.length > REMEMBERED_CHARS) return countInParts(text, countWhole);
    let count = memo.get(text);
    if (count === undefined) {
      count = countInParts(text, countWhole);
      memo.set(text, count);
    }
    return count;
  };
}

/**
 * BPE merges each piece of text (a word, a run of spaces or of punctuation, as the encoding's
 * pattern splits it) in time that grows with the square of its length: 40,000 of one CJK character,
 * or of spaces of two kinds, or `/\n` after a `!`, took seconds to count, on the event loop, and any
 * client can send them. So a text longer than this is counted in parts no longer than it, cut where
 * no piece can run across: before a space that starts a word (` word`), or before CJK punctuation
 * after a letter. Words, code and prose, CJK prose with its punctuation included, are counted
 * exactly as whole; a stretch with no such place (a URL, base64, a hostile run) is cut where it
 * reaches the length, which changes its count by a token at most.
 */
export const LONGEST_PART = 256;

/** A piece may not run across the start of `text[i]`. */
function startsPiece(text: string, i: number): boolean {
  const code = text.charCodeAt(i);
  if (code === 32) return i + 1 < text.length && !isSpace(text.charCodeAt(i + 1));
  // CJK punctuation (、。「」 …) and full-width forms (，！？ …) after a letter.
  return ((code >= 0x3001 && code <= 0x303f) || (code >= 0xff01 && code <= 0xff20)) && i > 0 && /\p{L}/u.test(text[i - 1]!);
}

function isSpace(code: number): boolean {
  if (code < 128) return code === 32 || (code >= 9 && code <= 13);
  return /\s/.test(String.fromCharCode(code));
}

export function countInParts(text: string, countWhole: (text: string) => number): number {
  if (text.length <= LONGEST_PART) return countWhole(text);
  let total = 0;
  let from = 0;
  let lastStart = -1;
  for (let i = 1; i < text.length; i++) {
    if (startsPiece(text, i)) lastStart = i;
    if (i - from < LONGEST_PART) continue;
    // The latest place no piece runs across, or here when the part has none.
    const cut = lastStart > from ? lastStart : i;
    total += countWhole(text.slice(from, cut));
    from = cut;
    lastStart = -1;
  }
  return total + countWhole(text.slice(from));
}

interface Remembered {
  readonly text: string;
  readonly count: number;
}

/** Counts by text, in an LRU of text lengths, each with the last texts of that length counted (at most 64). */
class RememberedCounts {
  private readonly byLength = new LRUCache<number, Remembered[]>({
    maxSize: REMEMBERED_CHARS,
    sizeCalculation: (texts) => texts.reduce((chars, { text }) => chars + text.length, 0),
  });

  get(text: string): number | undefined {
    const texts = this.byLength.get(text.length);
    if (texts) for (const entry of texts) if (entry.text === text) return entry.count;
    return undefined;
  }

  set(text: string, count: number): void {
    const texts = [{ text, count }, ...(this.byLength.peek(text.length) ?? [])].slice(0, Math.min(TEXTS_PER_LENGTH, Math.floor(REMEMBERED_CHARS / text.length)));
    this.byLength.set(text.length, texts);
  }
}

/** Loads the encodings now (both by default) instead of on the first count. */
export function preloadEncodings(encodings: readonly EncodingName[] = ENCODINGS): void {
  for (const encoding of encodings) load(encoding);
}

/** The encodings loaded so far, in load order. */
export function loadedEncodings(): EncodingName[] {
  return [...loaded.keys()];
}

function load(encoding: EncodingName): EncodingModule {
  let tokenizer = loaded.get(encoding);
  if (!tokenizer) {
    tokenizer = require(MODULES[encoding]) as EncodingModule;
    loaded.set(encoding, tokenizer);
  }
  return tokenizer;
}
