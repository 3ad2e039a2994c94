/**
 * Label values that come from outside a fixed set (models, keys, teams, providers) are kept to a
 * bounded number per label: each new series costs Prometheus memory, and a client choosing model
 * names must not be able to grow it without end. Values past the cap, or too long, are reported as
 * `other`. A value not seen for `idleMs` is let go, with its series (a key revoked, a session's
 * key, a model no longer asked): it frees its place, where keeping the first values ever seen
 * reported every later key as `other` for good on a gateway whose keys come and go.
 */
export const OTHER = 'other';

/**
 * Longer values are `other` too: a client may send a model name of megabytes, and each series
 * repeats its labels on every line of every scrape (a histogram's on each bucket's).
 */
const MAX_VALUE_LENGTH = 200;

/** A value's last sighting is written down at most this often (and four times per idle time): a request's labels cost a lookup, not a write. */
const SEEN_EVERY_MS = 1000;

export class BoundedLabel {
  /** Values kept, each with when it was last seen (within SEEN_EVERY_MS), least recently seen first. */
  private readonly seen = new Map<string, number>();
  private readonly seenEveryMs: number;

  constructor(
    private readonly cap: number,
    private readonly idleMs = Infinity,
    /** A value let go: its series are to be taken out. */
    private readonly forgotten: (value: string) => void = () => undefined,
  ) {
    this.seenEveryMs = Math.min(SEEN_EVERY_MS, idleMs / 4);
  }

  value(raw: string | undefined | null): string {
    if (raw === undefined || raw === null || raw === '') return 'none';
    const now = Date.now();
    const last = this.seen.get(raw);
    if (last !== undefined) {
      if (now - last > this.seenEveryMs) this.seenNow(raw, now);
      return raw;
    }
    if (raw.length > MAX_VALUE_LENGTH || (this.seen.size >= this.cap && this.sweep(now, 1).length === 0)) return OTHER;
    this.seen.set(raw, now);
    return raw;
  }

  /** `raw` if it is held now, else undefined; it is not seen by this (a gauge read at a scrape must not keep a value from going idle). */
  held(raw: string): string | undefined {
    return this.seen.has(raw) ? raw : undefined;
  }

  /** Lets go of the values not seen for `idleMs` (at most `limit`, least recently seen first); returns them. */
  sweep(now = Date.now(), limit = Infinity): string[] {
    const gone: string[] = [];
    for (const [value, last] of this.seen) {
      if (gone.length >= limit || now - last < this.idleMs) break;
      this.seen.delete(value);
      this.forgotten(value);
      gone.push(value);
    }
    return gone;
  }

  /** Lets a value go now (a provider removed), freeing its place under the cap; true if it had one. */
  forget(value: string): boolean {
    if (!this.seen.delete(value)) return false;
    this.forgotten(value);
    return true;
  }

  private seenNow(value: string, now: number): void {
    this.seen.delete(value);
    this.seen.set(value, now);
  }
}
