/**
 * Failed dashboard logins per client address: after `maxFailures` in `windowMs` the address is
 * refused until the window ends, right key or not. The map is bounded: when full, the entries
 * closest to expiry go first, so an attacker cycling addresses cannot grow it.
 */
export interface LoginLimiterOptions {
  maxFailures: number;
  windowMs: number;
  /** Most addresses remembered. Default 10 000. */
  maxEntries?: number;
  now?: () => number;
}

export class LoginLimiter {
  private readonly entries = new Map<string, { failures: number; resetAt: number }>();
  private readonly now: () => number;
  private readonly maxEntries: number;

  constructor(private readonly options: LoginLimiterOptions) {
    this.now = options.now ?? Date.now;
    this.maxEntries = options.maxEntries ?? 10_000;
  }

  /** Seconds until `address` may try again; 0 when it may now. */
  blockedFor(address: string): number {
    const entry = this.entries.get(address);
    if (!entry) return 0;
    const now = this.now();
    if (entry.resetAt <= now) {
      this.entries.delete(address);
      return 0;
    }
    return entry.failures >= this.options.maxFailures ? Math.ceil((entry.resetAt - now) / 1000) : 0;
  }

  failed(address: string): void {
    const now = this.now();
    const entry = this.entries.get(address);
    if (entry && entry.resetAt > now) {
      entry.failures++;
      return;
    }
    this.entries.delete(address);
    if (this.entries.size >= this.maxEntries) this.evict(now);
    this.entries.set(address, { failures: 1, resetAt: now + this.options.windowMs });
  }

  succeeded(address: string): void {
    this.entries.delete(address);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Drops expired entries, then (still full) the oldest: insertion order is window-start order. */
  private evict(now: number): void {
    for (const [address, entry] of this.entries) if (entry.resetAt <= now) this.entries.delete(address);
    while (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }
}
