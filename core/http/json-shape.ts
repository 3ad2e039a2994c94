/**
 * Checks a JSON text's shape in one pass over its characters, before `JSON.parse` builds anything:
 * nesting depth, elements per array or object, and string length. A hostile body (50 000 nested
 * arrays, a million-element array) is refused for what it is instead of costing a parse and
 * whatever recursion follows. The text need not be valid JSON: the parse that follows says so.
 *
 * The same pass notes where each top-level member of the body lies, and how many members its
 * objects have in all (see `JsonLayout`): a second pass over an agent's conversation of hundreds of
 * KB would cost as much as this one.
 */
import { GatewayError, invalidRequest } from '../errors.js';
import type { InputLimits } from './body-rules.js';

/** Where the members of a JSON object's text lie: what lets the gateway send on the client's own bytes (client-json.ts). */
export interface JsonLayout {
  /** Each top-level member in the order written: its key as written and its text `"key": value` from `start` to `end`. */
  readonly members: readonly JsonMember[];
  /** Members of every object in the text, nested ones included (a key written twice counts twice). */
  readonly memberCount: number;
}

export interface JsonMember {
  readonly key: string;
  readonly start: number;
  readonly end: number;
}

const QUOTE = 34, BACKSLASH = 92, COMMA = 44, COLON = 58, OPEN_ARRAY = 91, CLOSE_ARRAY = 93, OPEN_OBJECT = 123, CLOSE_OBJECT = 125;

/**
 * Throws when the text's shape is over a limit. With `withLayout`, returns its layout when it is an
 * object's (undefined otherwise, or when a top-level key has escapes).
 */
export function checkJsonShape(text: string, limits: InputLimits, withLayout = true): JsonLayout | undefined {
  // Elements seen so far in each open container (commas + 1, counted lazily).
  const counts: number[] = [];
  let depth = 0;
  let members: JsonMember[] | undefined = withLayout ? [] : undefined;
  let colons = 0;
  // The top-level member being read: where its key started (-1 between members) and the key.
  let memberStart = -1;
  let key = '';
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      const start = i;
      i = closingQuote(text, i);
      if (i - start - 1 > limits.maxStringLength) throw tooLarge(`A string in the request body is longer than the gateway's limit of ${limits.maxStringLength} characters.`, 'string_too_long');
      if (depth === 1 && memberStart === -1 && members !== undefined) {
        memberStart = start;
        key = text.slice(start + 1, i);
        if (key.includes('\\')) members = undefined;
      }
    } else if (c === OPEN_ARRAY || c === OPEN_OBJECT) {
      if (depth === 0 && c === OPEN_ARRAY) members = undefined;
      if (++depth > limits.maxDepth) throw invalidRequest(`The request body nests arrays and objects deeper than the gateway's limit of ${limits.maxDepth} levels.`, undefined, 'too_deep');
      counts.push(1);
    } else if (c === CLOSE_ARRAY || c === CLOSE_OBJECT) {
      if (depth === 1 && memberStart !== -1) memberStart = endMember(members, key, memberStart, i);
      depth--;
      counts.pop();
    } else if (c === COMMA && counts.length > 0) {
      if (depth === 1 && memberStart !== -1) memberStart = endMember(members, key, memberStart, i);
      const n = ++counts[counts.length - 1]!;
      if (n > limits.maxArrayLength) throw tooLarge(`An array or object in the request body has more than the gateway's limit of ${limits.maxArrayLength} elements.`, 'array_too_long');
    } else if (c === COLON) {
      colons++;
    }
  }
  return members === undefined ? undefined : { members, memberCount: colons };
}

function endMember(members: JsonMember[] | undefined, key: string, start: number, end: number): -1 {
  members?.push({ key, start, end });
  return -1;
}

/**
 * Where the string opened at `open` ends (the text's length if it never does). Found with
 * `indexOf`, not a character at a time: strings are most of a request (an agent's conversation),
 * and the loop cost 0.35 ms for 194 KB. A quote after an odd run of backslashes is escaped.
 */
function closingQuote(text: string, open: number): number {
  for (let at = text.indexOf('"', open + 1); at !== -1; at = text.indexOf('"', at + 1)) {
    let backslashes = 0;
    while (text.charCodeAt(at - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return at;
  }
  return text.length;
}

const tooLarge = (message: string, code: string) => new GatewayError('payload_too_large', message, { code, retryable: false });
