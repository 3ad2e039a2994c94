/**
 * Counters in this process's memory: the hot path's default, at the cost of a Map lookup. With a
 * SQLite store they are snapshotted to disk behind the requests (persist-behind.ts), so restarts
 * keep their windows and cursors; replicas that must agree use Redis instead.
 */
import type { AddOptions, BucketTake, Counters, LocalCounters } from './counters.js';
import { steadyNow } from './steady-now.js';

interface Entry {
  value: number;
  /** `steadyNow()` when it expires; Infinity for never. */
  expiresAt: number;
}

export class MemoryCounters implements Counters, LocalCounters {
  private readonly entries = new Map<string, Entry>();
  /** Token buckets: what they held at `at`. Not persisted: a restart refills them, which only helps bursts. */
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  /** Keys changed since the last `takeChanges()`, for persistence. */
  private readonly changed = new Set<string>();
  private readonly sweeper: NodeJS.Timeout;

  /** Every operation here is synchronous underneath: hot paths may call the `…Now` forms. */
  readonly local: LocalCounters = this;

  constructor(private readonly now: () => number = steadyNow) {
    // Expired windows are dropped on read; the sweep keeps never-read ones from piling up.
    this.sweeper = setInterval(() => this.sweep(), 60_000);
    this.sweeper.unref();
  }

  async add(key: string, by: number, ttlMs?: number, options?: AddOptions): Promise<number> {
    return this.addNow(key, by, ttlMs, options);
  }

  /** The synchronous form, for callers in this process that cannot afford a tick. */
  addNow(key: string, by: number, ttlMs?: number, options?: Pick<AddOptions, 'renewTtl' | 'atLeast'>): number {
    let entry = this.live(key);
    if (!entry) {
      entry = { value: 0, expiresAt: ttlMs === undefined ? Infinity : this.now() + ttlMs };
      this.entries.set(key, entry);
    } else if (options?.renewTtl === true && ttlMs !== undefined) {
      entry.expiresAt = this.now() + ttlMs;
    }
    entry.value += by;
    if (options?.atLeast !== undefined && entry.value < options.atLeast) entry.value = options.atLeast;
    this.changed.add(key);
    return entry.value;
  }

  async get(key: string): Promise<number> {
    return this.getNow(key);
  }

  /** One process draws alone: the next number is the count after adding one. */
  async next(key: string): Promise<number> {
    return this.addNow(key, 1);
  }

  getNow(key: string): number {
    return this.live(key)?.value ?? 0;
  }

  async ttl(key: string): Promise<number | undefined> {
    return this.ttlNow(key);
  }

  ttlNow(key: string): number | undefined {
    const entry = this.live(key);
    return entry && entry.expiresAt !== Infinity ? entry.expiresAt - this.now() : undefined;
  }

  async takeFromBucket(key: string, amount: number, capacity: number, refillPerSecond: number): Promise<BucketTake> {
    return this.takeFromBucketNow(key, amount, capacity, refillPerSecond);
  }

  takeFromBucketNow(key: string, amount: number, capacity: number, refillPerSecond: number): BucketTake {
    const now = this.now();
    const bucket = this.buckets.get(key) ?? { tokens: capacity, at: now };
    // Time only fills a bucket: a clock that went back (a clock given to tests) takes nothing out.
    bucket.tokens = Math.min(capacity, bucket.tokens + (Math.max(0, now - bucket.at) / 1000) * refillPerSecond);
    bucket.at = now;
    this.buckets.set(key, bucket);
    if (bucket.tokens >= amount) {
      bucket.tokens -= amount;
      return { allowed: true, retryAfterMs: 0 };
    }
    return { allowed: false, retryAfterMs: Math.ceil(((amount - bucket.tokens) / refillPerSecond) * 1000) };
  }

  async delete(key: string): Promise<void> {
    this.deleteNow(key);
  }

  deleteNow(key: string): void {
    this.entries.delete(key);
    this.changed.add(key);
  }

  /** What changed since the last call: live entries to write, and keys to delete. */
  takeChanges(): { set: Array<[string, Entry]>; deleted: string[] } {
    const set: Array<[string, Entry]> = [];
    const deleted: string[] = [];
    for (const key of this.changed) {
      const entry = this.live(key);
      if (entry) set.push([key, { ...entry }]);
      else deleted.push(key);
    }
    this.changed.clear();
    return { set, deleted };
  }

  /** Restores entries saved earlier (expired ones are skipped). */
  restore(entries: Iterable<[string, Entry]>): void {
    for (const [key, entry] of entries) if (entry.expiresAt > this.now()) this.entries.set(key, { ...entry });
  }

  async close(): Promise<void> {
    clearInterval(this.sweeper);
  }

  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry && entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry;
  }

  private sweep(): void {
    const now = this.now();
    for (const [key, entry] of this.entries) if (entry.expiresAt <= now) this.entries.delete(key);
    // A bucket untouched for an hour is full again by any sensible rate: forget it.
    for (const [key, bucket] of this.buckets) if (now - bucket.at > 3_600_000) this.buckets.delete(key);
  }
}
