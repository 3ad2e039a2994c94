/**
 * Where entries live: in `host.store` (memory, SQLite, or Redis shared by replicas), each answer
 * under its key with the TTL, plus an append-only log of what was added and cleared, numbered by
 * one atomic counter. A replica reads an exact entry straight from the store (a hit at once on
 * every replica); it learns of other replicas' entries (for the semantic index, the size cap and
 * the stats) by reading the log's new records every `syncIntervalMs`, and rebuilds its view from
 * the log's last `maxEntries` records at start (with any past the counter: see pastTheCounter).
 *
 * A record's number is drawn before the record is stored, so a reader can find a number whose
 * record is not there yet: it looks again at its next reads, for a while, and then takes it for
 * a gap (a writer that gave up). A replica further behind than its view holds reads only the
 * newest `maxEntries` records, as at start. A record the store did not take in time is appended
 * at a later sync, for as long as its entry is in the view.
 *
 * The view is an LRU of entry metadata bounded by `maxEntries` and `maxBytes`: what falls out is
 * deleted from the store. Every wait on the store is bounded; a store that fails or is slow makes
 * the cache step aside (the caller counts it), never the request. The log keeps its newest
 * 2 × `maxEntries` records (trimBelow). Clears are also stored apart (clears.ts), and every lookup
 * obeys them, so an entry no view lists (older than the log a restarted replica read) is cleared
 * all the same.
 */
import type { Logger } from 'llm-gateway/plugin';
import { withinMs, type Counters, type TypedKv } from 'llm-gateway/store';
import { Clears, matches, type ClearFilter, type ClearShape } from './clears.js';
import { DeletesBehind } from './deletes-behind.js';
import type { CacheEntry } from './entry.js';

export type { ClearFilter } from './clears.js';

/** What every replica knows of an entry without reading it. */
export interface EntryMeta {
  key: string;
  scope: string;
  model: string;
  /** The gateway key id that caused it, for per-key stats and clearing; null on an open gateway. */
  owner: string | null;
  bytes: number;
  createdAt: number;
  expiresAt: number;
  /** Set for entries the semantic cache can find: the partition and the embedding (base64 float32). */
  partition?: string;
  vector?: string;
}

type LogRecord = { op: 'add'; meta: EntryMeta } | { op: 'clear'; filter: ClearFilter; at: number };

type Shape = { [key: `e:${string}`]: CacheEntry; [seq: `log:${number}`]: LogRecord } & ClearShape;

export interface EntriesOptions {
  maxEntries: number;
  maxBytes: number;
  storeTimeoutMs: number;
  syncIntervalMs: number;
  /** How long log records live: at least as long as the longest TTL. */
  logTtlMs: number;
  /** The store's `dataLosses`: when it moves, the log was lost with the rest and is read anew. */
  dataLosses?: () => number;
}

export interface EntryListener {
  added(meta: EntryMeta): void;
  removed(meta: EntryMeta): void;
}

const SEQ = 'cache:log-seq';
const BATCH = 200;
/** Most numbers looked for again at once; past it the oldest is taken for a gap. */
const MAX_LATE = 200;
/** Most of this replica's records waiting to be appended; past it the oldest stays unlogged. */
const MAX_UNLOGGED = 200;
/** `applyClear` for a clear made on this replica at this moment (see `matches`). */
const MADE_HERE_NOW = true;
/**
 * The log keeps its newest 2 × `maxEntries` records; older ones are deleted in runs of up to this
 * many, each run by the writer of the number that ends one. No reader reads more than `maxEntries`
 * below the newest number it saw (one that saw an older counter finds a trimmed record a gap), and
 * records carry a semantic entry's vector (8 KB at 1,536 dimensions): a log kept for the whole
 * TTL held 600 records (5 MB) for a cap of twenty entries.
 */
const TRIM_RUN = 100;
/** Main-thread time the log's records are applied for before the event loop gets a turn (each may index a vector). */
const APPLY_SLICE_MS = 8;

export class CacheEntries {
  /** Insertion order is recency order: a hit moves its entry to the end. */
  private readonly view = new Map<string, EntryMeta>();
  private bytes = 0;
  /** Every record up to this number has been read (or taken for a gap). */
  private seen = 0;
  /** Numbers read before their record was stored, with when to stop looking for them. */
  private readonly late = new Map<number, number>();
  /** This replica's entries whose log record the store did not take in time (oldest first, bounded). */
  private readonly unlogged: EntryMeta[] = [];
  /** Clears read while records before them may still come in late: a late add they match stays out. */
  private clearsSince: { seq: number; filter: ClearFilter; at: number; until: number }[] = [];
  private loaded = false;
  /** The store's losses when the log was last read from its start. */
  private lossesSeen = 0;
  private timer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> | undefined;
  /** Entries that left the view, and the log's old records, deleted from the store behind. */
  private readonly deletes: DeletesBehind<`e:${string}` | `log:${number}`>;
  /** Every clear made, which every lookup obeys (clears.ts). */
  private readonly clears: Clears;
  private clearsLoading: Promise<unknown> | undefined;

  constructor(
    private readonly kv: TypedKv<Shape>,
    private readonly counters: Counters,
    private readonly options: EntriesOptions,
    private readonly listener: EntryListener,
    private readonly logger: Logger,
  ) {
    this.deletes = new DeletesBehind((keys) => kv.deleteMany(keys), options.storeTimeoutMs);
    this.clears = new Clears(kv, counters, { storeTimeoutMs: options.storeTimeoutMs, ttlMs: options.logTtlMs });
  }

  /** Reads the log's recent records (in the background: the gateway does not wait for it), then follows it. */
  start(): Promise<void> {
    const loaded = this.sync();
    this.timer = setInterval(() => void this.sync(), this.options.syncIntervalMs);
    this.timer.unref();
    return loaded;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** The entry under `key`, if it is alive: undefined when absent, expired or the store fails (throws then). */
  async get(key: string): Promise<CacheEntry | undefined> {
    // Until the clears made before this start are read, no entry can be told from a cleared one.
    if (this.deletes.has(`e:${key}`) || (!this.clears.loaded && !(await this.clearsRead()))) return undefined;
    const listed = this.view.get(key);
    const entry = await withinMs(this.options.storeTimeoutMs, this.kv.get(`e:${key}`));
    if (!entry || entry.expiresAt <= Date.now()) {
      // Gone from the store (evicted by another replica, whose evictions are not logged): gone
      // from this view too, unless it was stored again meanwhile.
      if (listed && this.view.get(key) === listed) this.forget(listed);
      return undefined;
    }
    const meta = this.view.get(key);
    if (this.clears.covers({ createdAt: entry.createdAt, model: entry.model, owner: entry.owner ?? meta?.owner })) {
      // Cleared, though no view listed it when the clear was made (or its delete did not land).
      if (meta) this.forget(meta);
      this.deletes.delete([`e:${key}`]);
      return undefined;
    }
    if (meta) {
      this.view.delete(key);
      this.view.set(key, meta);
    }
    return entry;
  }

  /** Whether the clears are read; at start, the first lookups wait for them (bounded), as the sync reads them too. */
  private async clearsRead(): Promise<boolean> {
    if (this.clears.loaded) return true;
    this.clearsLoading ??= this.clears.readNew().finally(() => (this.clearsLoading = undefined));
    await withinMs(this.options.storeTimeoutMs, this.clearsLoading).catch(() => undefined);
    return this.clears.loaded;
  }

  async put(entry: CacheEntry, meta: EntryMeta): Promise<void> {
    // An answer larger than the whole cap can never be kept: making room for it would only have
    // evicted every other entry first.
    if (!this.fits(meta)) return;
    const ttl = entry.expiresAt - entry.createdAt;
    this.deletes.keep(`e:${meta.key}`);
    await withinMs(this.options.storeTimeoutMs, this.kv.set(`e:${meta.key}`, entry, ttl));
    this.remember(meta);
    try {
      await this.append({ op: 'add', meta });
    } catch (error) {
      // Stored, but the other replicas would never learn of it: its record goes out at a later sync.
      if (this.unlogged.length >= MAX_UNLOGGED) this.unlogged.shift();
      this.unlogged.push(meta);
      throw error;
    }
  }

  /** Deletes the entries matching `filter` here and, through the log, on every replica. */
  async clear(filter: ClearFilter): Promise<number> {
    // Learn first of what other replicas added, so their entries go too.
    await this.sync();
    const at = Date.now();
    // Stored first: every lookup on every replica obeys it from then on, and a clear the store
    // did not take changed nothing (a 503 to retry).
    await this.clears.record(filter, at);
    // Everything the view holds now was made before this clear, whatever the wall clock says (one
    // stepped back since an entry was made would spare it: `DELETE /v1/cache` deleting nothing).
    const removed = this.applyClear(filter, at, MADE_HERE_NOW);
    // Gone to lookups here at once; from the store a batch at a time, while the record tells the
    // other replicas' views (their lookups obey the stored clear already). Answered once they are
    // gone from the store, where every replica reads them.
    this.deletes.delete(removed.map((meta) => `e:${meta.key}` as const));
    await this.append({ op: 'clear', filter, at }).catch((error: Error) => this.logger.debug('cache clear: its log record was not stored; replicas read the clear itself', { error: error.message }));
    await this.deletes.settled();
    return removed.length;
  }

  /** Entries alive now, for the stats and the semantic index. */
  *alive(): IterableIterator<EntryMeta> {
    const now = Date.now();
    for (const meta of this.view.values()) if (meta.expiresAt > now) yield meta;
  }

  meta(key: string): EntryMeta | undefined {
    const meta = this.view.get(key);
    return meta && meta.expiresAt > Date.now() ? meta : undefined;
  }

  /** Reads the log records other replicas (or an earlier run) wrote since the last look. */
  sync(): Promise<void> {
    this.syncing ??= this.readLog()
      .then(() => {
        this.loaded = true;
      })
      .catch((error: Error) => {
        if (this.loaded) this.logger.debug('cache sync skipped: the store did not answer', { error: error.message });
        else this.logger.warn('could not load the cache index from the store; trying again', { error: error.message });
      })
      .finally(() => (this.syncing = undefined));
    return this.syncing;
  }

  private async readLog(): Promise<void> {
    this.expire();
    await this.appendUnlogged();
    // A store that lost its data (a Redis flushed or restarted empty: Store.dataLosses) numbers the
    // log again from 1: records all below what was seen, never read, and a clear made on another
    // replica never applied here. What the view holds is gone from the store too. (The counter read
    // below is no sign of it: one Redis did not answer in time is answered from this replica's own
    // count, core/store/bounded-counters.ts.)
    const losses = this.options.dataLosses?.() ?? 0;
    if (this.loaded && losses !== this.lossesSeen) {
      this.logger.warn('cache: the store lost its data; reading the cache log again from the start', { seen: this.seen });
      this.forgetAll();
    }
    this.lossesSeen = losses;
    // Clears first: lookups wait for them (at start), and a clear whose log record was never
    // stored still reaches this view.
    for (const clear of await this.clears.readNew()) this.deletes.delete(this.applyClear(clear.filter, clear.at).map((meta) => `e:${meta.key}` as const));
    const counted = await withinMs(this.options.storeTimeoutMs * (this.loaded ? 1 : 4), this.counters.get(SEQ));
    const last = this.loaded ? counted : await this.pastTheCounter(counted);
    // What the view cannot hold is not worth reading (at start, or after falling far behind).
    this.seen = Math.max(this.seen, last - this.options.maxEntries);
    await this.readLate();
    while (this.seen < last) {
      const upTo = Math.min(last, this.seen + BATCH);
      const seqs = Array.from({ length: upTo - this.seen }, (_, i) => this.seen + 1 + i);
      const records = await this.read(seqs);
      let slice = performance.now();
      for (let i = 0; i < records.length; i++) {
        const record = records[i];
        if (record) this.apply(seqs[i]!, record);
        else this.lookAgain(seqs[i]!);
        // Indexing a few hundred vectors held the event loop for 100–200 ms at a time at start.
        if (performance.now() - slice > APPLY_SLICE_MS) {
          await new Promise((resolve) => setImmediate(resolve));
          slice = performance.now();
        }
      }
      this.seen = upTo;
    }
  }

  /**
   * At start, records numbered past the counter: SQLite saves its counters a second behind, so
   * after a crash the counter comes back below the last records written. They are read, and the
   * counter is moved past them, or new records would be written over them. On Redis the counter is
   * exact, and one read finds nothing.
   */
  private async pastTheCounter(counted: number): Promise<number> {
    let last = counted;
    while (last - counted < this.options.maxEntries && (await this.read([last + 1]))[0] !== undefined) last++;
    if (last > counted) await withinMs(this.options.storeTimeoutMs * 4, this.counters.add(SEQ, last - counted, undefined, { exact: true }));
    return last;
  }

  private read(seqs: number[]): Promise<(LogRecord | undefined)[]> {
    return withinMs(this.options.storeTimeoutMs * 4, Promise.all(seqs.map((seq) => this.kv.get(`log:${seq}`))));
  }

  /** Records of this replica's entries the store did not take in time, for those still in the view. */
  private async appendUnlogged(): Promise<void> {
    try {
      while (this.unlogged.length > 0) {
        const meta = this.unlogged[0]!;
        if (this.meta(meta.key)) await this.append({ op: 'add', meta });
        this.unlogged.shift();
      }
    } catch (error) {
      // Kept for the next sync; reading the log does not wait on it.
      this.logger.debug('cache log: records still not appended', { waiting: this.unlogged.length, error: (error as Error).message });
    }
  }

  /** Numbers drawn by a writer that had not stored its record yet: found now, still awaited, or a gap. */
  private async readLate(): Promise<void> {
    const now = Date.now();
    for (const [seq, until] of this.late) if (until <= now) this.late.delete(seq);
    this.clearsSince = this.late.size === 0 ? [] : this.clearsSince.filter((clear) => clear.until > now);
    if (this.late.size === 0) return;
    const seqs = [...this.late.keys()];
    const records = await this.read(seqs);
    records.forEach((record, i) => {
      if (!record) return;
      this.late.delete(seqs[i]!);
      this.apply(seqs[i]!, record);
    });
  }

  private lookAgain(seq: number): void {
    if (!this.loaded) return; // at start, a missing record is one that expired
    if (this.late.size >= MAX_LATE) this.late.delete(this.late.keys().next().value!);
    // Its writer stores the record within its own bound on the store; a few reads more is room enough.
    this.late.set(seq, Date.now() + Math.max(4 * this.options.storeTimeoutMs, 3 * this.options.syncIntervalMs));
  }

  private apply(seq: number, record: LogRecord): void {
    if (record.op === 'clear') {
      if (this.late.size > 0) this.clearsSince.push({ seq, filter: record.filter, at: record.at, until: latest(this.late.values()) });
      // The replica that cleared may not have known every entry yet: what this one knows goes too.
      this.deletes.delete(this.applyClear(record.filter, record.at).map((meta) => `e:${meta.key}` as const));
    } else if (!this.view.has(record.meta.key) && record.meta.expiresAt > Date.now() && !this.clearedSince(seq, record.meta)) this.remember(record.meta);
  }

  /** An add read late, after a clear numbered after it that matches it: it was cleared. */
  private clearedSince(seq: number, meta: EntryMeta): boolean {
    return this.clearsSince.some((clear) => clear.seq > seq && matches(meta, clear.filter, clear.at));
  }

  private async append(record: LogRecord): Promise<void> {
    const seq = await withinMs(this.options.storeTimeoutMs, this.counters.next(SEQ));
    this.trimBelow(seq);
    await withinMs(this.options.storeTimeoutMs, this.kv.set(`log:${seq}`, record, this.options.logTtlMs));
    // Our own record needs no reading back, unless others wrote in between.
    if (seq === this.seen + 1) this.seen = seq;
  }

  /** The writer of a number that ends a run deletes the run 2 × `maxEntries` below it. */
  private trimBelow(seq: number): void {
    const run = Math.min(TRIM_RUN, this.options.maxEntries);
    const last = seq - 2 * this.options.maxEntries;
    if (seq % run !== 0 || last < 1) return;
    this.deletes.delete(Array.from({ length: Math.min(run, last) }, (_, i) => `log:${last - i}` as const));
  }

  private fits(meta: EntryMeta): boolean {
    return meta.bytes <= this.options.maxBytes;
  }

  private remember(meta: EntryMeta): void {
    // Another replica's entry, under a larger cap than this one's.
    if (!this.fits(meta)) return;
    const previous = this.view.get(meta.key);
    if (previous) this.forget(previous);
    this.listener.added(meta);
    // The vector now lives in the index (and in the store's log); the view keeps the rest.
    const { vector: _indexed, ...light } = meta;
    this.view.set(meta.key, light);
    this.bytes += meta.bytes;
    this.evict();
  }

  /** Back to an empty view that has read nothing, as at start. */
  private forgetAll(): void {
    for (const meta of [...this.view.values()]) this.forget(meta);
    this.seen = 0;
    this.late.clear();
    this.unlogged.length = 0;
    this.clearsSince = [];
    this.clears.forget();
    this.loaded = false;
  }

  private forget(meta: EntryMeta): void {
    if (!this.view.delete(meta.key)) return;
    this.bytes -= meta.bytes;
    this.listener.removed(meta);
  }

  /** Least recently used first, until under both caps; evicted entries leave the store too. */
  private evict(): void {
    for (const meta of this.view.values()) {
      if (this.view.size <= this.options.maxEntries && this.bytes <= this.options.maxBytes) return;
      this.forget(meta);
      this.deletes.delete([`e:${meta.key}`]);
    }
  }

  private expire(): void {
    const now = Date.now();
    for (const meta of [...this.view.values()]) if (meta.expiresAt <= now) this.forget(meta);
  }

  private applyClear(filter: ClearFilter, at: number, madeHereNow = false): EntryMeta[] {
    const removed = [...this.view.values()].filter((meta) => matches(meta, filter, at, madeHereNow));
    for (const meta of removed) this.forget(meta);
    return removed;
  }
}

/** The largest of some numbers, without spreading them into a call's arguments. */
function latest(values: Iterable<number>): number {
  let most = Number.NEGATIVE_INFINITY;
  for (const value of values) if (value > most) most = value;
  return most;
}
