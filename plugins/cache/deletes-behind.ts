/**
 * Entries leaving the cache (cleared, evicted, or cleared on another replica), deleted from the
 * store behind the caller: a batch at a time, each one call (one statement on SQLite, one DEL on
 * Redis), the next after a turn of the event loop. Until its batch has been tried, a key is gone
 * to lookups (`has`).
 *
 * Deleting every entry of a clear at once (a SELECT and an autocommitted DELETE each on SQLite,
 * all queued on libuv's pool of four threads and on the connection lookups use) took 3 s for
 * 3,000 entries, while a request's lookup timed out behind them, a DNS lookup waited 2.4 s for a
 * thread, and the clear's own log record, written after them, timed out: the admin got a 500 and
 * the other replicas never heard of the clear.
 */
import { withinMs } from 'llm-gateway/store';

/** Keys one call deletes. */
export const DELETE_BATCH = 200;

export class DeletesBehind<Key extends string> {
  /** Keys waiting, or in the batch being deleted. */
  private readonly queued = new Set<Key>();
  private draining: Promise<void> | undefined;

  constructor(
    private readonly deleteMany: (keys: Key[]) => Promise<unknown>,
    private readonly timeoutMs: number,
  ) {}

  delete(keys: Iterable<Key>): void {
    for (const key of keys) this.queued.add(key);
    if (this.draining === undefined && this.queued.size > 0) this.draining = this.drain();
  }

  /** `key` is stored again: not to be deleted, unless its batch is already on its way. */
  keep(key: Key): void {
    this.queued.delete(key);
  }

  /** Whether `key` is waiting to be deleted: a lookup takes it for gone. */
  has(key: Key): boolean {
    return this.queued.has(key);
  }

  /** Settles once every key queued so far has been tried. */
  settled(): Promise<void> {
    return this.draining ?? Promise.resolve();
  }

  /**
   * Begins after its caller has noted it (`draining`), and notes its end in the same turn as its
   * last look at the queue: a key added at any moment is either taken by it or starts another.
   */
  private async drain(): Promise<void> {
    await null;
    try {
      while (this.queued.size > 0) {
        const batch: Key[] = [];
        for (const key of this.queued) {
          batch.push(key);
          if (batch.length === DELETE_BATCH) break;
        }
        // A batch the store does not take stays in it: its entries expire with their TTL, as an
        // entry whose single delete failed did.
        await withinMs(this.timeoutMs, this.deleteMany(batch)).catch(() => undefined);
        for (const key of batch) this.queued.delete(key);
        await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      this.draining = undefined;
    }
  }
}
