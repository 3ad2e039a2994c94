/**
 * Label values that come from outside a fixed set (models, keys, teams) are kept to a bounded
 * number per label: each new series costs Prometheus memory forever, and a client choosing model
 * names must not be able to grow it without end. Values past the cap, or too long, are reported as `other`.
 */
export const OTHER = 'other';

/**
 * Longer values are `other` too: a client may send a model name of megabytes, and each series
 * repeats its labels on every line of every scrape (a histogram's on each bucket's).
 */
const MAX_VALUE_LENGTH = 200;

export class BoundedLabel {
  private readonly seen = new Set<string>();

  constructor(private readonly cap: number) {}

  value(raw: string | undefined | null): string {
    if (raw === undefined || raw === null || raw === '') return 'none';
    if (this.seen.has(raw)) return raw;
    if (this.seen.size >= this.cap || raw.length > MAX_VALUE_LENGTH) return OTHER;
    this.seen.add(raw);
    return raw;
  }

  /** Lets a value go (a provider removed), freeing its place under the cap; true if it had one. */
  forget(value: string): boolean {
    return this.seen.delete(value);
  }
}
