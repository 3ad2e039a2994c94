/**
 * Clears as a rule every lookup obeys: an entry a clear matches (made before it, of its model, key
 * and age) is a miss, on every replica, whatever the views know of it.
 *
 * A clear deletes what the views list, and a view lists only what its replica read from the log:
 * after a restart, the log's newest `maxEntries` records. An entry older than those (kept alive
 * by hits, or left above a `maxEntries` lowered by a deploy) is in no view, so no clear deleted it
 * and every lookup went on finding it; so did a clear whose deletes the store did not take (a
 * connection cut), whose entries the view had already let go. Each clear is stored under its own
 * number, drawn from one atomic counter (as the log's records are), for as long as the entries it
 * could match may live (the longest TTL), and read by every replica at start and at each sync.
 *
 * Bounded: the newest MAX_KEPT clears are kept. An older one is folded into `floor`, a clear of
 * everything made before it, which clears more than it did, never less: a miss costs an upstream
 * call, a cleared answer served is wrong.
 */
import { storeUnavailable, withinMs, type Counters, type TypedKv } from 'llm-gateway/store';

export interface ClearFilter {
  model?: string;
  keyId?: string;
  /** Only entries at least this old. */
  olderThanSeconds?: number;
}

export interface ClearRecord {
  filter: ClearFilter;
  /** When it was made (epoch ms): it takes entries made before. */
  at: number;
}

/** What a clear looks at in an entry; `owner` unknown (an entry stored before owners were) is taken as any key's. */
export interface Clearable {
  createdAt: number;
  model: string;
  owner?: string | null;
}

export type ClearShape = { [seq: `clear:${number}`]: ClearRecord };

const SEQ = 'cache:clear-seq';
/** Clears kept as they were made; older ones clear everything made before them (`floor`). */
export const MAX_KEPT = 100;

type Kept = ClearRecord & { seq: number };

export class Clears {
  private kept: Kept[] = [];
  /** Everything made at or before this moment is cleared (clears folded in past MAX_KEPT). */
  private floor = Number.NEGATIVE_INFINITY;
  /** Every clear up to this number has been read. */
  private seen = 0;
  private loadedOnce = false;

  constructor(
    private readonly kv: TypedKv<ClearShape>,
    private readonly counters: Counters,
    private readonly options: { storeTimeoutMs: number; ttlMs: number },
  ) {}

  /** Whether the clears made before now have been read: until then, no lookup can tell what they took. */
  get loaded(): boolean {
    return this.loadedOnce;
  }

  /** Stores a clear for every replica; throws a retryable 503 when the store does not take it in time. */
  async record(filter: ClearFilter, at: number): Promise<void> {
    try {
      const seq = await withinMs(this.options.storeTimeoutMs, this.counters.next(SEQ));
      await withinMs(this.options.storeTimeoutMs, this.kv.set(`clear:${seq}`, { filter, at }, this.options.ttlMs));
      this.keep({ filter, at, seq });
    } catch (error) {
      throw storeUnavailable(error);
    }
  }

  /** Reads the clears made since the last look (at first, the newest MAX_KEPT and one); returns those new here. */
  async readNew(): Promise<ClearRecord[]> {
    const wait = this.options.storeTimeoutMs * (this.loadedOnce ? 1 : 4);
    let last = await withinMs(wait, this.counters.get(SEQ));
    if (!this.loadedOnce) last = await this.pastTheCounter(last, wait);
    // One more than are kept: the oldest read is folded into the floor, and takes what clears
    // older still took (numbered before it, so made before it but for clocks apart).
    const from = Math.max(this.seen, last - MAX_KEPT - 1) + 1;
    const seqs = Array.from({ length: Math.max(0, last - from + 1) }, (_, i) => from + i);
    const records = await withinMs(wait, Promise.all(seqs.map((seq) => this.kv.get(`clear:${seq}`))));
    const found: ClearRecord[] = [];
    records.forEach((record, i) => {
      if (record && this.keep({ ...record, seq: seqs[i]! })) found.push(record);
    });
    this.seen = Math.max(this.seen, last);
    this.loadedOnce = true;
    return found;
  }

  /** The store lost its data (and the clears with its entries): read again from the start. */
  forget(): void {
    this.kept = [];
    this.seen = 0;
  }

  /** Whether a clear takes this entry. */
  covers(entry: Clearable): boolean {
    if (entry.createdAt <= this.floor) return true;
    for (const clear of this.kept) if (matches(entry, clear.filter, clear.at)) return true;
    return false;
  }

  /** Keeps a clear not kept yet (this replica's own is read back at its next sync); whether it was new. */
  private keep(record: Kept): boolean {
    if (this.kept.some((clear) => clear.seq === record.seq)) return false;
    const now = Date.now();
    // A clear older than the longest TTL takes nothing alive: every entry made before it expired.
    this.kept = this.kept.filter((clear) => clear.at + this.options.ttlMs > now);
    this.kept.push(record);
    while (this.kept.length > MAX_KEPT) this.floor = Math.max(this.floor, this.kept.shift()!.at);
    return true;
  }

  /**
   * Clears numbered past the counter: SQLite saves its counters a second behind, so after a crash
   * it comes back below the last clear stored, and the next clear would be stored over it.
   */
  private async pastTheCounter(counted: number, wait: number): Promise<number> {
    let last = counted;
    while (last - counted < MAX_KEPT && (await withinMs(wait, this.kv.get(`clear:${last + 1}`))) !== undefined) last++;
    if (last > counted) await withinMs(wait, this.counters.add(SEQ, last - counted, undefined, { exact: true }));
    return last;
  }
}

/**
 * Whether a clear made at `at` takes an entry. One read from the log spares what was made after it
 * (an entry this replica added before it read the clear); `madeHereNow` takes all that matches.
 */
export function matches(entry: Clearable, filter: ClearFilter, at: number, madeHereNow = false): boolean {
  if (!madeHereNow && entry.createdAt > at) return false;
  if (filter.model !== undefined && entry.model !== filter.model && !entry.model.endsWith(`/${filter.model}`) && entry.model !== `virtual:${filter.model}`) return false;
  if (filter.keyId !== undefined && entry.owner !== undefined && entry.owner !== filter.keyId) return false;
  if (filter.olderThanSeconds !== undefined && at - entry.createdAt < filter.olderThanSeconds * 1000) return false;
  return true;
}
