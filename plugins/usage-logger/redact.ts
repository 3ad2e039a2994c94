/**
 * Redaction before anything is written: provider and gateway keys, bearer tokens, emails, phone
 * numbers and card numbers (Luhn-checked, so order numbers survive), plus the config's own
 * patterns. What matched becomes `[REDACTED:<kind>]`, so a reader still sees what was there.
 */
export interface Redactor {
  (text: string): string;
}

/**
 * A pattern; a string every match contains, so a text without it skips the (costlier) regex scan;
 * and a check a match must also pass, for shapes a regex cannot tell from harmless numbers.
 */
type Pattern = [kind: string, pattern: RegExp, needs?: string, accept?: (match: string) => boolean];

const BUILT_IN: readonly Pattern[] = [
  ['bearer', /\bBearer\s+[A-Za-z0-9._~+/=-]{8,}/gi],
  // Provider keys: OpenAI (sk-, sk-proj-), Anthropic (sk-ant-), Groq (gsk_), xAI (xai-), Google (AIza), gateway keys (gw-).
  ['api_key', /\b(?:sk-(?:ant-|proj-)?[A-Za-z0-9_-]{16,}|gsk_[A-Za-z0-9]{16,}|xai-[A-Za-z0-9]{16,}|AIza[0-9A-Za-z_-]{30,}|gw-[A-Za-z0-9_-]{20,})/g],
  // Linear in the text: a match starts only where a word of an address may start (after anything
  // but a letter, digit, dot, dash or underscore: so after the `+` and `%XX` of encoded text, too),
  // and each part has the length RFC 5321 allows. `\b[A-Za-z0-9._%+-]+@…` was tried from every
  // word boundary, each try scanning on to the next '@': 16 KB with one '@' and words joined by
  // dashes took 0.4 s, on the event loop.
  ['email', /(?<![A-Za-z0-9._-])[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}\b/g, '@'],
  ['card', /\b(?:\d[ -]?){12,18}\d\b/g, undefined, luhn],
  // A country code only after a `+`; an area code may stand in parentheses.
  ['phone', /(?<![\w+(])(?:\+\d{1,3}[ .-]?)?\(?\d{2,4}\)?[ .-]?\d{3,4}[ .-]?\d{3,4}\b/g, undefined, writtenAsPhone],
];

export function createRedactor(custom: readonly string[] = []): Redactor {
  const patterns: Pattern[] = [...BUILT_IN, ...custom.map((source, i): Pattern => [`custom_${i + 1}`, new RegExp(source, 'g')])];
  return (text) => {
    let out = text;
    for (const [kind, pattern, needs, accept] of patterns) {
      if (needs !== undefined && !out.includes(needs)) continue;
      out = replaceAccepted(out, pattern, `[REDACTED:${kind}]`, accept);
    }
    return out;
  };
}

/**
 * `text.replace(pattern, (match) => accept(match) ? replacement : match)` for a global pattern,
 * written out: a replace with a function runs in V8's runtime and calls back into JS for every
 * match, and the phone pattern matches every answer's `created` timestamp only for the check to
 * keep it (19 thousand instructions a logged request, mostly for nothing). `exec` stays in
 * compiled code, and a text with nothing to redact is returned as it is, without being rebuilt.
 */
function replaceAccepted(text: string, pattern: RegExp, replacement: string, accept: ((match: string) => boolean) | undefined): string {
  pattern.lastIndex = 0;
  let out = '';
  let kept = 0;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    const found = match[0];
    if (found === '') pattern.lastIndex++; // as String.prototype.replace steps past an empty match
    if (accept !== undefined && !accept(found)) continue;
    out += text.slice(kept, match.index) + (/^\d+$/.test(found) && isJsonNumberAt(text, match.index) ? `"${replacement}"` : replacement);
    kept = match.index + found.length;
  }
  return kept === 0 && out === '' ? text : out + text.slice(kept);
}

/**
 * Whether a run of digits at `index` is a number of a JSON text rather than part of one of its
 * strings: outside every string (counted from the start, escapes skipped). A card number sent as
 * a JSON number (a tool's `{"card": 4111111111111111}`) is redacted in quotes, so that the logged
 * body is still JSON. Only for digits a check accepted, which are rare: the count reads the text
 * up to them.
 */
function isJsonNumberAt(text: string, index: number): boolean {
  const first = text.charCodeAt(0);
  if (first !== 0x7b && first !== 0x5b) return false; // `{` or `[`: a JSON body, not an answer's text
  let inString = false;
  for (let i = 0; i < index; i++) {
    const code = text.charCodeAt(i);
    if (inString && code === 0x5c) i++; // `\`: the next character is escaped
    else if (code === 0x22) inString = !inString;
  }
  return !inString;
}

/**
 * A phone number as people write one: with a `+` or a separator (space, dot, dash, parentheses).
 * A bare run of digits is left alone: in a logged body that is a JSON number far more often (an
 * answer's `created` timestamp, a token count, an id), and redacting those made every logged
 * answer's `created` read `[REDACTED:phone]`.
 */
function writtenAsPhone(match: string): boolean {
  // A space, dash, parenthesis or `+`; or dots between three groups (555.123.4567). One dot alone
  // is a decimal point: a logprob or a coordinate, which redacted made the JSON invalid.
  return /[ ()+-]/.test(match) || (match.match(/\./g)?.length ?? 0) >= 2;
}

function luhn(candidate: string): boolean {
  const digits = candidate.replace(/\D/g, '');
  if (digits.length < 13 || digits.length > 19) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let digit = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      digit *= 2;
      if (digit > 9) digit -= 9;
    }
    sum += digit;
  }
  return sum % 10 === 0;
}

/**
 * Caps a body at `maxBytes` of UTF-8, saying so when it cut. Only the first `maxBytes` characters
 * are encoded (each is at least a byte), not the whole text: an agent's request runs to hundreds
 * of KB, and encoding all of it to keep 16 KB cost 0.3 ms a body.
 */
export function cap(text: string, maxBytes: number): string {
  // At most 3 bytes a UTF-16 unit, at least 1: only a text between the two is measured.
  if (text.length <= maxBytes / 3 || (text.length <= maxBytes && Buffer.byteLength(text) <= maxBytes)) return text;
  const cut = Buffer.from(text.slice(0, maxBytes)).subarray(0, maxBytes).toString('utf8').replace(/\uFFFD+$/, '');
  return `${cut}…[truncated]`;
}

/** Characters past the cap redaction reads, so that a secret cut by the cap is still recognised (the longest shape it knows is a bearer token or a key of a few hundred characters). */
export const REDACTION_MARGIN = 512;

/** As much of a text as `capRedacted` reads: the cap and the margin, in characters (each at least a byte). */
export function redactionWindow(text: string, maxBytes: number): string {
  return text.length > maxBytes + REDACTION_MARGIN ? text.slice(0, maxBytes + REDACTION_MARGIN) : text;
}

/**
 * `text` redacted, then capped at `maxBytes`: a secret that straddles the cap is redacted whole
 * (capped first, its first part was kept in clear: an email without its domain, a key short of
 * its pattern's length). Only a window past the cap is read, however long the text.
 */
export function capRedacted(text: string, maxBytes: number, redact: Redactor): string {
  const window = redactionWindow(text, maxBytes);
  const capped = cap(redact(window), maxBytes);
  // Cut to the window and then shortened by redaction below the cap: still say it was cut.
  return window.length < text.length && !capped.endsWith('…[truncated]') ? `${capped}…[truncated]` : capped;
}

/**
 * `text` redacted, then cut at `maxChars` characters with `…` where it was cut (span attributes
 * count characters): a secret the cut runs through is still redacted whole, as in `capRedacted`.
 */
export function cutRedacted(text: string, maxChars: number, redact: Redactor): string {
  const window = text.length > maxChars + REDACTION_MARGIN ? text.slice(0, maxChars + REDACTION_MARGIN) : text;
  const redacted = redact(window);
  return redacted.length > maxChars ? `${redacted.slice(0, maxChars)}…` : window.length < text.length ? `${redacted}…` : redacted;
}

/**
 * `JSON.stringify(value)` as far as `cap(…, maxBytes)` will keep it: identical up to the cut, and
 * nothing serialised after it but a `null` for each array element left. Once the strings written
 * so far are longer than `maxBytes` characters (so the JSON is longer than `maxBytes` bytes), the
 * string at hand is shortened and everything after it left out. A 175 KB agent request: 290 µs to
 * serialise whole, 40 µs so.
 */
export function cappedJson(value: unknown, maxBytes: number): string {
  let left = maxBytes;
  let past = false;
  return JSON.stringify(value, (_key, item: unknown) => {
    if (past) return undefined;
    if (typeof item !== 'string') return item;
    left -= item.length;
    if (left >= 0) return item;
    past = true;
    // One character more than the cap needs, so the cut falls inside what is written.
    return item.slice(0, item.length + left + 1);
  });
}
