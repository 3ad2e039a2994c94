/**
 * The `choices` of an OpenAI-format chunk whose one choice only adds text (a `delta` of `content`,
 * after `"role":"assistant"` perhaps), read from the event's text without parsing the whole event.
 * A tap that reads the answer's text (the token counter, the usage log's bodies) needs no more of
 * most chunks of an answer, and JSON.parse of every chunk was the largest cost such taps brought
 * to a stream (docs/performance-history.md).
 *
 * Exact where it answers: the same choice JSON.parse would give, its keys in the text's order. Any
 * other shape (tool calls, reasoning, several choices, logprobs, spacing, keys in another order, a
 * role but the assistant's, an array of objects written before the choices) gives undefined, and
 * the caller parses the event. Only the choices are read: of an event garbled elsewhere, the
 * choice is read as written, as a pass-through proxy forwards such an event as written.
 */
import type { ChatCompletionChunk } from 'llm-gateway/plugin';

type Choices = ChatCompletionChunk['choices'];

const CHOICES = '"choices":[{"index":';
const CHOICES_OPEN_AT = CHOICES.indexOf('[{"');
const CHOICES_OPEN = CHOICES.slice(CHOICES_OPEN_AT, CHOICES_OPEN_AT + 3);
const DELTA = ',"delta":{';
const ROLE = '"role":"assistant",';
const CONTENT = '"content":"';
const NULL_VALUE = '":null';

const BACKSLASH = 0x5c;
const QUOTE = 0x22;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const CLOSE_BRACKET = 0x5d;

export function deltaChoices(data: string): Choices | undefined {
  // Found by the event's first `[{"`, which is the choices' in OpenAI's chunks (a search for the
  // whole key starts with a quote, so it stops at every quote: 600 instructions more a call), then
  // checked to be a key of the event's object (after `{` or `,`, not an escaped quote in a string),
  // and the only one (searched without its opening quote).
  const at = data.indexOf(CHOICES_OPEN) - CHOICES_OPEN_AT;
  if (at <= 0 || !isAt(data, CHOICES, at) || !isKeyStart(data.charCodeAt(at - 1)) || data.includes('choices"', at + CHOICES.length)) return undefined;
  let p = at + CHOICES.length;
  const digits = p;
  while (p < data.length && p - digits < 4 && isDigit(data.charCodeAt(p))) p++;
  if (p === digits || (p - digits > 1 && data.charCodeAt(digits) === 0x30)) return undefined;
  const index = p - digits === 1 ? data.charCodeAt(digits) - 0x30 : Number(data.slice(digits, p));
  if (!isAt(data, DELTA, p)) return undefined;
  p += DELTA.length;
  const role = isAt(data, ROLE, p);
  if (role) p += ROLE.length;
  if (!isAt(data, CONTENT, p)) return undefined;
  p += CONTENT.length;
  // The string's end: the first quote not escaped. JSON.parse refuses a control character inside
  // a string; the caller's parse then says so.
  let end = p;
  let escaped = false;
  for (; end < data.length; end++) {
    const code = data.charCodeAt(end);
    if (code === QUOTE) break;
    if (code < 0x20) return undefined;
    if (code === BACKSLASH) {
      escaped = true;
      end++;
    }
  }
  if (end >= data.length || data.charCodeAt(end + 1) !== CLOSE_BRACE) return undefined;
  // A slice of 13 characters or more is a view into the event's text that keeps all of it alive
  // for as long as the answer's text is kept (a usage log's body, a token count's pending text):
  // ten times the text, for a stream's life. JSON.parse copies, as the parse of a whole event did.
  const text = escaped || end - p >= SLICED_STRING_MIN_LENGTH ? decodeString(data.slice(p - 1, end + 1)) : data.slice(p, end);
  if (text === undefined) return undefined;
  p = end + 2;
  const delta = role ? { role: 'assistant' as const, content: text } : { content: text };
  let choice: Choices[number];
  // OpenAI's own tail, as an object literal (one shape, no keys added one by one).
  if (isAt(data, OPENAI_TAIL, p)) {
    choice = { index, delta, logprobs: null, finish_reason: null };
    p += OPENAI_TAIL.length;
  } else {
    choice = { index, delta } as Choices[number];
    // The choice's other keys, when all are null (`finish_reason`, a vendor's).
    while (data.charCodeAt(p) === COMMA && data.charCodeAt(p + 1) === QUOTE) {
      const keyEnd = data.indexOf(NULL_VALUE, p + 2);
      if (keyEnd < 0) return undefined;
      const key = data.slice(p + 2, keyEnd);
      // `__proto__` would set the prototype where JSON.parse makes a field.
      if (!KEY.test(key) || key === '__proto__') return undefined;
      (choice as Record<string, unknown>)[key] = null;
      p = keyEnd + NULL_VALUE.length;
    }
  }
  if (data.charCodeAt(p) !== CLOSE_BRACE || data.charCodeAt(p + 1) !== CLOSE_BRACKET) return undefined;
  const next = data.charCodeAt(p + 2);
  if (next !== COMMA && next !== CLOSE_BRACE) return undefined;
  return [choice];
}

/** V8's `SlicedString::kMinLength`: a shorter slice is a copy. */
const SLICED_STRING_MIN_LENGTH = 13;
const OPENAI_TAIL = ',"logprobs":null,"finish_reason":null';
const KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
const isKeyStart = (code: number) => code === OPEN_BRACE || code === COMMA;

/**
 * `data.startsWith(text, at)`. V8's startsWith compares a character at a time, several ns each:
 * for OpenAI's tail (37 characters) 250 ns a match, against 50 to slice and compare; a choice
 * that adds text matches three or four of these (node 20).
 */
const isAt = (data: string, text: string, at: number) => data.slice(at, at + text.length) === text;
const isDigit = (code: number) => code >= 0x30 && code <= 0x39;

/** A JSON string with escapes, decoded as JSON.parse does; undefined for one it would refuse. */
function decodeString(quoted: string): string | undefined {
  try {
    return JSON.parse(quoted) as string;
  } catch {
    return undefined;
  }
}
