/**
 * A host's signed reasoning entries (OpenRouter's `reasoning_details`) as a stream carries them:
 * one entry comes in pieces over many deltas, each piece with the entry's `index`, its text
 * (`text`, `summary`, or an encrypted entry's `data`) cut anywhere and the rest (`signature`,
 * `id`, `format`) in whichever piece has it, often the last. A whole answer holds each entry once,
 * and that is what the host asks for back on the next turn: pieces sent back one by one would give
 * Claude a signature over nothing and a text without one. For whoever assembles a stream (the
 * Anthropic and Responses front-ends, the cache).
 *
 * Pieces without an integer `index`, or of another type than the entry at theirs, are entries of
 * their own. The host's objects are copied, never written.
 */
const TEXT_FIELDS: ReadonlySet<string> = new Set(['text', 'summary', 'data']);

type Entry = Record<string, unknown>;

export class StreamedReasoningDetails {
  private readonly entries: unknown[] = [];
  private readonly byIndex = new Map<number, Entry>();

  /** One delta's `reasoning_details`. */
  add(pieces: readonly unknown[]): void {
    for (const piece of pieces) this.addOne(piece);
  }

  /** The entries so far, each whole, in the order they began. */
  list(): unknown[] {
    return this.entries;
  }

  private addOne(piece: unknown): void {
    if (piece === null || typeof piece !== 'object' || Array.isArray(piece)) {
      this.entries.push(piece);
      return;
    }
    const fields = piece as Entry;
    const index = fields.index;
    const entry = Number.isInteger(index) ? this.byIndex.get(index as number) : undefined;
    if (!entry || (fields.type !== undefined && fields.type !== entry.type)) {
      const copy = { ...fields };
      if (Number.isInteger(index)) this.byIndex.set(index as number, copy);
      this.entries.push(copy);
      return;
    }
    for (const [field, value] of Object.entries(fields)) {
      // `__proto__` as a JSON key is a field like any other to the spread above, a setter here.
      if (value === undefined || value === null || field === 'index' || field === '__proto__') continue;
      if (TEXT_FIELDS.has(field) && typeof value === 'string') entry[field] = (typeof entry[field] === 'string' ? entry[field] : '') + value;
      else entry[field] = value;
    }
  }
}
