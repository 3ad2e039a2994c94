/**
 * Where entries live: in `host.store` (memory, SQLite, or Redis shared by replicas), each answer
 * under its key with the TTL, plus an append-only log of what was added and cleared, numbered by
 * one atomic counter. A replica reads an exact entry straight from the store (a hit at once on
 * every replica); it learns of other replicas' entries (for the semantic index, the size cap and
 * the stats) by reading the log's new records every `syncIntervalMs`, and rebuilds its view from
 * the log's last `maxEntries` records at start.
 *
 * The view is an LRU of entry metadata bounded by `maxEntries` and `maxBytes`: what falls out is
 * deleted from the store. Every wait on the store is bounded; a store that fails or is slow makes
 * the cache step aside (the caller counts it), never the request.
 */
import type { Logger } from 'llm-gateway/plugin';
import { withinMs, type Counters, type TypedKv } from 'llm-gateway/store';
import type { CacheEntry } from './entry.js';

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

export interface ClearFilter {
  model?: string;
  keyId?: string;
  /** Only entries at least this old. */
  olderThanSeconds?: number;
}

type LogRecord = { op: 'add'; meta: EntryMeta } | { op: 'clear'; filter: ClearFilter; at: number };

type Shape = { [key: `e:${string}`]: CacheEntry; [seq: `log:${number}`]: LogRecord };

export interface EntriesOptions {
  maxEntries: number;
  maxBytes: number;
  storeTimeoutMs: number;
  syncIntervalMs: number;
  /** How long log records live: at least as long as the longest TTL. */
  logTtlMs: number;
}

export interface EntryListener {
  added(meta: EntryMeta): void;
  removed(meta: EntryMeta): void;
}

const SEQ = 'cache:log-seq';
const BATCH = 200;

export class CacheEntries {
  /** Insertion order is recency order: a hit moves its entry to the end. */
  private readonly view = new Map<string, EntryMeta>();
  private bytes = 0;
  private seen = 0;
  private timer: NodeJS.Timeout | undefined;
  private syncing: Promise<void> | undefined;

  constructor(
    private readonly kv: TypedKv<Shape>,
    private readonly counters: Counters,
    private readonly options: EntriesOptions,
    private readonly listener: EntryListener,
    private readonly logger: Logger,
  ) {}

  /** Reads the log's recent records (in the background: the gateway does not wait for it), then follows it. */
  start(): Promise<void> {
    const loaded = (async () => {
      const last = await withinMs(this.options.storeTimeoutMs * 4, this.counters.get(SEQ));
      this.seen = Math.max(0, last - this.options.maxEntries);
      await this.sync();
    })().catch((error: Error) => this.logger.warn('could not load the cache index from the store', { error: error.message }));
    this.timer = setInterval(() => void this.sync(), this.options.syncIntervalMs);
    this.timer.unref();
    return loaded;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** The entry under `key`, if it is alive: undefined when absent, expired or the store fails (throws then). */
  async get(key: string): Promise<CacheEntry | undefined> {
    const entry = await withinMs(this.options.storeTimeoutMs, this.kv.get(`e:${key}`));
    if (!entry || entry.expiresAt <= Date.now()) return undefined;
    const meta = this.view.get(key);
    if (meta) {
      this.view.delete(key);
      this.view.set(key, meta);
    }
    return entry;
  }

  async put(entry: CacheEntry, meta: EntryMeta): Promise<void> {
    const ttl = entry.expiresAt - entry.createdAt;
    await withinMs(this.options.storeTimeoutMs, this.kv.set(`e:${meta.key}`, entry, ttl));
    this.remember(meta);
    await this.append({ op: 'add', meta });
  }

  /** Deletes the entries matching `filter` here and, through the log, on every replica. */
  async clear(filter: ClearFilter): Promise<number> {
    // Learn first of what other replicas added, so their entries go too.
    await this.sync();
    const at = Date.now();
    const removed = this.applyClear(filter, at);
    await Promise.all(removed.map((meta) => withinMs(this.options.storeTimeoutMs, this.kv.delete(`e:${meta.key}`)).catch(() => false)));
    await this.append({ op: 'clear', filter, at });
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
    this.syncing ??= this.readLog().finally(() => (this.syncing = undefined));
    return this.syncing;
  }

  private async readLog(): Promise<void> {
    try {
      this.expire();
      const last = await withinMs(this.options.storeTimeoutMs, this.counters.get(SEQ));
      while (this.seen < last) {
        const upTo = Math.min(last, this.seen + BATCH);
        const seqs = Array.from({ length: upTo - this.seen }, (_, i) => this.seen + 1 + i);
        const records = await withinMs(this.options.storeTimeoutMs * 4, Promise.all(seqs.map((seq) => this.kv.get(`log:${seq}`))));
        for (const record of records) this.apply(record);
        this.seen = upTo;
      }
    } catch (error) {
      this.logger.debug('cache sync skipped: the store did not answer', { error: (error as Error).message });
    }
  }

  private apply(record: LogRecord | undefined): void {
    if (!record) return;
    if (record.op === 'clear') {
      // The replica that cleared may not have known every entry yet: what this one knows goes too.
      for (const meta of this.applyClear(record.filter, record.at)) void withinMs(this.options.storeTimeoutMs, this.kv.delete(`e:${meta.key}`)).catch(() => false);
    } else if (!this.view.has(record.meta.key) && record.meta.expiresAt > Date.now()) this.remember(record.meta);
  }

  private async append(record: LogRecord): Promise<void> {
    const seq = await withinMs(this.options.storeTimeoutMs, this.counters.add(SEQ, 1));
    await withinMs(this.options.storeTimeoutMs, this.kv.set(`log:${seq}`, record, this.options.logTtlMs));
    // Our own record needs no reading back, unless others wrote in between.
    if (seq === this.seen + 1) this.seen = seq;
  }

  private remember(meta: EntryMeta): void {
    const previous = this.view.get(meta.key);
    if (previous) this.forget(previous);
    this.listener.added(meta);
    // The vector now lives in the index (and in the store's log); the view keeps the rest.
    const { vector: _indexed, ...light } = meta;
    this.view.set(meta.key, light);
    this.bytes += meta.bytes;
    this.evict();
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
      void withinMs(this.options.storeTimeoutMs, this.kv.delete(`e:${meta.key}`)).catch(() => false);
    }
  }

  private expire(): void {
    const now = Date.now();
    for (const meta of [...this.view.values()]) if (meta.expiresAt <= now) this.forget(meta);
  }

  private applyClear(filter: ClearFilter, at: number): EntryMeta[] {
    const removed = [...this.view.values()].filter((meta) => matches(meta, filter, at));
    for (const meta of removed) this.forget(meta);
    return removed;
  }
}

function matches(meta: EntryMeta, filter: ClearFilter, at: number): boolean {
  if (meta.createdAt > at) return false;
  if (filter.model !== undefined && meta.model !== filter.model && !meta.model.endsWith(`/${filter.model}`) && meta.model !== `virtual:${filter.model}`) return false;
  if (filter.keyId !== undefined && meta.owner !== filter.keyId) return false;
  if (filter.olderThanSeconds !== undefined && at - meta.createdAt < filter.olderThanSeconds * 1000) return false;
  return true;
}
