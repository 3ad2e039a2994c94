/**
 * Counters that never hold a request hostage to a slow or unreachable store: every call has a
 * bounded wait, and a call that fails or runs out of time is answered from this process's own
 * memory instead. Limits then hold per replica rather than across them until the store is back;
 * the failures are counted and logged (at most once a minute), never thrown at a client.
 */
import type { Logger } from '../logger.js';
import type { BucketTake, Counters } from './counters.js';
import { MemoryCounters } from './memory-counters.js';

export interface StoreHealth {
  /** Calls that failed or timed out and were answered locally. */
  readonly failures: number;
  readonly lastError: string | undefined;
}

export class BoundedCounters implements Counters {
  private readonly local = new MemoryCounters();
  private failureCount = 0;
  private lastError: string | undefined;
  private lastLoggedAt = 0;

  constructor(
    private readonly shared: Counters,
    private readonly logger: Logger,
    private readonly timeoutMs = 250,
  ) {}

  get health(): StoreHealth {
    return { failures: this.failureCount, lastError: this.lastError };
  }

  add(key: string, by: number, ttlMs?: number): Promise<number> {
    return this.bounded(() => this.shared.add(key, by, ttlMs), () => this.local.add(key, by, ttlMs));
  }

  get(key: string): Promise<number> {
    return this.bounded(() => this.shared.get(key), () => this.local.get(key));
  }

  ttl(key: string): Promise<number | undefined> {
    return this.bounded(() => this.shared.ttl(key), () => this.local.ttl(key));
  }

  delete(key: string): Promise<void> {
    return this.bounded(() => this.shared.delete(key), () => this.local.delete(key));
  }

  takeFromBucket(key: string, amount: number, capacity: number, refillPerSecond: number): Promise<BucketTake> {
    return this.bounded(() => this.shared.takeFromBucket(key, amount, capacity, refillPerSecond), () => this.local.takeFromBucket(key, amount, capacity, refillPerSecond));
  }

  async close(): Promise<void> {
    await Promise.all([this.shared.close(), this.local.close()]);
  }

  private async bounded<T>(call: () => Promise<T>, fallback: () => Promise<T>): Promise<T> {
    try {
      return await withinMs(this.timeoutMs, call());
    } catch (error) {
      this.failed(error as Error);
      return fallback();
    }
  }

  private failed(error: Error): void {
    this.failureCount++;
    this.lastError = error.message;
    const now = Date.now();
    if (now - this.lastLoggedAt < 60_000) return;
    this.lastLoggedAt = now;
    this.logger.warn('the state store is failing; counting in this process until it is back', { error: error.message, failures: this.failureCount });
  }
}

/** Bounds a one-off store call (a key-value read) the same way, without a fallback value. */
export async function withinMs<T>(ms: number, call: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([call, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
