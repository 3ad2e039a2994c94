/**
 * The `choices` of an OpenAI-format chunk whose one choice only adds text (a `delta` of `content`,
 * after `"role":"assistant"` perhaps, before keys whose value is null such as the `"refusal":null`
 * of OpenAI's first chunk) or only finishes (an empty `delta` and a `finish_reason`),
 * read from the event's text without parsing the whole event. A tap that reads the answer's text
 * (the token counter, the usage log's bodies) needs no more of most chunks of an answer, nor the
 * adapter of the last one, and JSON.parse of every chunk was the largest cost such taps brought
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

/**
 * The choice, from its key to what follows its array, in one match (sticky, from where the search
 * for the choices put it): the index (one to four digits, no leading zero); a delta that is the
 * role if it is the assistant's and the text (no quote, no control character; escapes are decoded
 * below, and JSON.parse decides there whether they are valid), then perhaps keys whose value is
 * null (OpenAI's first chunk: `"refusal":null`), or that is empty; after it only
 * keys whose value is null, then perhaps the finish reason, last as OpenAI writes it (a word of
 * lower-case letters: `stop`, `length`, `tool_calls`, `content_filter`).
 * Compared piece by piece with slices it cost 3.7 thousand instructions a call on an event sliced
 * from its read (each slice a string of its own, each comparison a builtin call); the match costs
 * 2.1 (docs/performance-history.md).
 */
const CHOICE = /"choices":\[\{"index":(0|[1-9][0-9]{0,3}),"delta":\{(?:("role":"assistant",)?"content":"((?:[^"\\\x00-\x1f]|\\.)*)"((?:,"[A-Za-z_][A-Za-z0-9_]*":null)*))?\}((?:,"[A-Za-z_][A-Za-z0-9_]*":null)*)(?:,"finish_reason":"([a-z_]{1,32})")?\}\][,}]/y;
const CHOICES_KEY = '"choices":[{"index":';
const CHOICES_OPEN = '[{"';
const CHOICES_OPEN_AT = CHOICES_KEY.indexOf(CHOICES_OPEN);
/** OpenAI's own tails, the usual ones: a choice made as one object literal (one shape, no keys added one by one). */
const OPENAI_TAIL = ',"logprobs":null,"finish_reason":null';
const OPENAI_FINISHING_TAIL = ',"logprobs":null';

const BACKSLASH = '\\';
const OPEN_BRACE = 0x7b;
const COMMA = 0x2c;

export function deltaChoices(data: string): Choices | undefined {
  // Found by the event's first `[{"`, which is the choices' in OpenAI's chunks (a search for the
  // whole key starts with a quote, so it stops at every quote: 600 instructions more a call), then
  // checked to be a key of the event's object (after `{` or `,`, not an escaped quote in a string),
  // and the only one (searched without its opening quote).
  const at = data.indexOf(CHOICES_OPEN) - CHOICES_OPEN_AT;
  if (at <= 0 || !isKeyStart(data.charCodeAt(at - 1))) return undefined;
  CHOICE.lastIndex = at;
  const match = CHOICE.exec(data);
  if (match === null || data.includes('choices"', at + CHOICES_KEY.length)) return undefined;
  const [, digits, role, raw, deltaNulls, tail, finish] = match as unknown as [string, string, string | undefined, string | undefined, string | undefined, string, string | undefined];
  const index = digits.length === 1 ? digits.charCodeAt(0) - 0x30 : Number(digits);
  let delta: Choices[number]['delta'];
  if (raw === undefined) delta = {};
  else {
    // A text of 13 characters or more is a slice: a view into the event's text (and the read it
    // came in) that keeps all of it alive for as long as the answer's text is kept (a usage log's
    // body, a token count's pending text): ten times the text, for a stream's life. JSON.parse
    // copies, as the parse of a whole event did, and decodes escapes.
    const text = raw.length >= SLICED_STRING_MIN_LENGTH || raw.includes(BACKSLASH) ? decodeString(`"${raw}"`) : raw;
    if (text === undefined) return undefined;
    delta = role === undefined ? { content: text } : { role: 'assistant' as const, content: text };
    if (deltaNulls && !setNulls(delta, deltaNulls)) return undefined;
  }
  if (tail === (finish === undefined ? OPENAI_TAIL : OPENAI_FINISHING_TAIL)) return [{ index, delta, logprobs: null, finish_reason: finish ?? null }];
  const choice = { index, delta } as Choices[number];
  // The choice's other keys, all null (`finish_reason`, a vendor's), in the text's order; a second
  // finish reason is a key JSON.parse would overwrite with the last value.
  if (finish !== undefined && tail.includes('"finish_reason"')) return undefined;
  if (!setNulls(choice, tail)) return undefined;
  if (finish !== undefined) choice.finish_reason = finish;
  return [choice];
}

/**
 * Sets each key of `nulls` (`,"key":null` repeated) to null on `target`, in the text's order, as
 * JSON.parse would; false for `__proto__`, which would set the prototype where JSON.parse makes a field.
 */
function setNulls(target: object, nulls: string): boolean {
  for (let from = 2; from < nulls.length; ) {
    const end = nulls.indexOf('"', from);
    const key = nulls.slice(from, end);
    if (key === '__proto__') return false;
    (target as Record<string, unknown>)[key] = null;
    from = end + NULL_VALUE_AND_NEXT_KEY.length;
  }
  return true;
}

/** From a key's closing quote to the next key's first character: `":null,"`. */
const NULL_VALUE_AND_NEXT_KEY = '":null,"';
/** V8's `SlicedString::kMinLength`: a shorter slice is a copy. */
const SLICED_STRING_MIN_LENGTH = 13;
const isKeyStart = (code: number) => code === OPEN_BRACE || code === COMMA;

/** A JSON string with escapes, decoded as JSON.parse does; undefined for one it would refuse. */
function decodeString(quoted: string): string | undefined {
  try {
    return JSON.parse(quoted) as string;
  } catch {
    return undefined;
  }
}
