/**
 * Counters: the one piece of shared state that must be atomic. Keyv has no increment, and rate
 * limits, budgets and rotation cursors all reduce to "add n to this key and tell me the total",
 * so that is the whole interface. Fixed windows are keys that expire: `rpm:key-1:29123456`.
 *
 * Amounts are integers (money in micro-dollars), so every backend adds exactly.
 */
export interface Counters {
  /**
   * Adds `by` (may be negative) and returns the new total. A key created by this call expires
   * `ttlMs` later (every add's `ttlMs` later with `renewTtl`); without `ttlMs` it lives until
   * deleted. Concurrent adds never lose an update.
   */
  add(key: string, by: number, ttlMs?: number, options?: AddOptions): Promise<number>;
  /** The current total, 0 for a key that does not exist or has expired. */
  get(key: string): Promise<number>;
  /**
   * The next number of a sequence every replica draws from (1, 2, 3…): ids for records that
   * several replicas append to one log. Never answered from this process alone, which would hand
   * out a number another replica also gets (and one record would overwrite the other): where the
   * shared store does not answer in time it throws a retryable 503 (`store_unavailable`). A number
   * that reaches the store after that is never used, so readers of such a log must expect gaps.
   */
  next(key: string): Promise<number>;
  /** Milliseconds until the key expires; undefined when it does not exist or never expires. */
  ttl(key: string): Promise<number | undefined>;
  delete(key: string): Promise<void>;
  /**
   * Token bucket: takes `amount` from a bucket holding at most `capacity` that refills at
   * `refillPerSecond`, if it holds that much, atomically. A new bucket starts full, so bursts up to
   * `capacity` pass, then the rate holds.
   */
  takeFromBucket(key: string, amount: number, capacity: number, refillPerSecond: number): Promise<BucketTake>;
  close(): Promise<void>;
  /**
   * Present when the counts live in this process's memory (the default and SQLite stores): the
   * same operations answered at once. Hot paths (limits, budgets, circuits) use it to skip a
   * promise per operation; a store that must ask a server (Redis) has none, and a wrapper that
   * does not pass it on only makes its callers take the asynchronous path.
   */
  readonly local?: LocalCounters;
  /**
   * True for a failed call's error that shows the store changed nothing (never sent, or refused by
   * the store itself); a call that failed otherwise (its connection died with it in flight) may or
   * may not have landed. Without it, every failure is taken as "may have landed".
   */
  neverApplied?(error: unknown): boolean;
  /**
   * Present when the store can count a call once however many times it is sent: `add`, unless a
   * call with this `callId` was applied within the last `rememberMs` (then nothing changes, and
   * the total is returned). A call whose connection died with it in flight can then be sent again
   * under its id until answered, instead of being guessed at (`AddOptions.exactlyOnce`).
   */
  addOnce?(key: string, by: number, callId: string, rememberMs: number, ttlMs?: number, options?: Omit<AddOptions, 'exact' | 'exactlyOnce'>): Promise<number>;
}

/** `Counters` answered synchronously, with the same meaning operation by operation. */
export interface LocalCounters {
  addNow(key: string, by: number, ttlMs?: number, options?: Pick<AddOptions, 'renewTtl' | 'atLeast'>): number;
  getNow(key: string): number;
  ttlNow(key: string): number | undefined;
  deleteNow(key: string): void;
  takeFromBucketNow(key: string, amount: number, capacity: number, refillPerSecond: number): BucketTake;
}

export interface AddOptions {
  /**
   * The add must land in the shared store (money: a budget reservation). Where the store does not
   * answer in time, it throws a retryable 503 (`store_unavailable`) instead of counting in this
   * process, and an add that still reaches the store late is taken back there.
   */
  exact?: boolean;
  /**
   * The key expires `ttlMs` after this add, not after the one that made it: a count that must
   * outlive a crash but not run out while in use (requests in flight, which one that crashed
   * leaves behind until the key goes quiet).
   */
  renewTtl?: boolean;
  /**
   * The total never goes below this: a count whose key may expire while in use (requests in
   * flight, through a process paused past the TTL) ends at 0 when those requests end, rather than
   * at minus their number, which would let that many more in for as long as the key is renewed.
   */
  atLeast?: number;
  /**
   * The add counts once even if its connection dies with it in flight (money given back or
   * settled): where the shared store has `addOnce`, it is sent under an id the store remembers
   * for a few minutes, so that a copy can be sent until one is answered. Without it, such a call
   * is settled on the stricter side (core/store/bounded-counters.ts). Costs the store a short-lived
   * key a call: for adds whose loss a user pays for, not for counts that right themselves.
   */
  exactlyOnce?: boolean;
}

export interface BucketTake {
  allowed: boolean;
  /** Milliseconds until `amount` will be there, when refused. */
  retryAfterMs: number;
}
