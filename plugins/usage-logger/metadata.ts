/**
 * A request's `metadata` as its usage record keeps it, bounded as OpenAI bounds `metadata`: at most
 * 16 key-value pairs, keys of at most 64 characters, string values of at most 512. Without a bound,
 * a client could put megabytes into every record (and into the write-behind queue), even though
 * an upstream refuses such a request. What fits is kept, in the client's order; the rest is left out.
 */

export const METADATA_MAX_PAIRS = 16;
export const METADATA_MAX_KEY_CHARS = 64;
export const METADATA_MAX_VALUE_CHARS = 512;

/** The request's `metadata` as the record keeps it, or null when it is not a map holding a string that fits. */
export function boundedMetadata(value: unknown): Record<string, string> | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return null;
  const kept: Array<[string, string]> = [];
  for (const key of Object.keys(value)) {
    const field = (value as Record<string, unknown>)[key];
    if (typeof field !== 'string' || !fits(key, METADATA_MAX_KEY_CHARS) || !fits(field, METADATA_MAX_VALUE_CHARS)) continue;
    if (kept.push([key, field]) === METADATA_MAX_PAIRS) break;
  }
  // fromEntries, not assignment: a key such as `__proto__` stays a field of its own.
  return kept.length > 0 ? Object.fromEntries(kept) : null;
}

/** Whether `text` has at most `max` characters (code points: an emoji is one, as OpenAI counts). */
function fits(text: string, max: number): boolean {
  if (text.length <= max) return true;
  // Each code point is one or two UTF-16 units: only a text between max and 2 × max units needs counting.
  if (text.length > 2 * max) return false;
  let chars = 0;
  for (const _ of text) if (++chars > max) return false;
  return true;
}
