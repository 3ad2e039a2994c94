/**
 * Failed dashboard logins per client: after `maxFailures` in `windowMs` the client is refused
 * until the window ends, right key or not. A client is its address, or its /64 for IPv6, the
 * smallest block a provider hands one customer (per address, one IPv6 client would have 2^64
 * windows).
 *
 * Counted where the gateway's other counters are (`loginAttempts`): in this process when it is
 * the only one (the memory and SQLite stores), in a bounded map; in the shared store when replicas
 * share one (Redis), so that N replicas behind a balancer allow the attempts of one, not N times
 * as many. There each client's count is a key that expires with its window.
 */
import { isIPv6 } from 'node:net';
import type { Counters } from 'llm-gateway/store';

export interface LoginLimiterOptions {
  maxFailures: number;
  windowMs: number;
  /** Most clients remembered in this process. Default 10 000. */
  maxEntries?: number;
  now?: () => number;
}

/** What the login route asks, wherever the failures are counted. */
export interface LoginAttempts {
  /** Seconds until the client at `address` may try again; 0 when it may now. */
  blockedFor(address: string): Promise<number>;
  failed(address: string): Promise<void>;
  succeeded(address: string): Promise<void>;
}

export function loginAttempts(counters: Counters, options: LoginLimiterOptions): LoginAttempts {
  if (!counters.local) return new SharedLoginLimiter(counters, options);
  const limiter = new LoginLimiter(options);
  return {
    blockedFor: async (address) => limiter.blockedFor(clientOf(address)),
    failed: async (address) => limiter.failed(clientOf(address)),
    succeeded: async (address) => limiter.succeeded(clientOf(address)),
  };
}

/**
 * The client an address counts as: an IPv4 address (IPv4-mapped IPv6 included) as itself, an IPv6
 * address as its /64 (`2001:db8:0:1::/64`), anything else as given.
 */
export function clientOf(address: string): string {
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  if (mapped) return mapped[1]!;
  const bare = address.split('%')[0]!;
  if (!isIPv6(bare)) return address;
  const [head = '', tail] = bare.split('::');
  const groups = (text: string) => (text ? text.split(':') : []);
  // An IPv4 tail (`::1.2.3.4`) fills the last two groups.
  const tailGroups = tail === undefined ? [] : groups(tail).flatMap((group) => (group.includes('.') ? ['0', '0'] : [group]));
  const all = [...groups(head), ...Array<string>(8 - groups(head).length - tailGroups.length).fill('0'), ...tailGroups];
  return `${all.slice(0, 4).map((group) => parseInt(group, 16).toString(16)).join(':')}::/64`;
}

/**
 * In this process: the map is bounded; when full, the entries closest to expiry go first, so an
 * attacker cycling addresses cannot grow it.
 */
export class LoginLimiter {
  private readonly entries = new Map<string, { failures: number; resetAt: number }>();
  private readonly now: () => number;
  private readonly maxEntries: number;

  constructor(private readonly options: LoginLimiterOptions) {
    this.now = options.now ?? Date.now;
    this.maxEntries = options.maxEntries ?? 10_000;
  }

  /** Seconds until `client` may try again; 0 when it may now. */
  blockedFor(client: string): number {
    const entry = this.entries.get(client);
    if (!entry) return 0;
    const now = this.now();
    if (entry.resetAt <= now) {
      this.entries.delete(client);
      return 0;
    }
    return entry.failures >= this.options.maxFailures ? Math.ceil((entry.resetAt - now) / 1000) : 0;
  }

  failed(client: string): void {
    const now = this.now();
    const entry = this.entries.get(client);
    if (entry && entry.resetAt > now) {
      entry.failures++;
      return;
    }
    this.entries.delete(client);
    if (this.entries.size >= this.maxEntries) this.evict(now);
    this.entries.set(client, { failures: 1, resetAt: now + this.options.windowMs });
  }

  succeeded(client: string): void {
    this.entries.delete(client);
  }

  get size(): number {
    return this.entries.size;
  }

  /** Drops expired entries, then (still full) the oldest: insertion order is window-start order. */
  private evict(now: number): void {
    for (const [client, entry] of this.entries) if (entry.resetAt <= now) this.entries.delete(client);
    while (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }
}

/**
 * In the shared store: one counter a client, created with the window's TTL by its first failure,
 * so the window is fixed from there as in this process. Where the store does not answer in time,
 * the store's counters count in this process meanwhile, as every limit does.
 */
class SharedLoginLimiter implements LoginAttempts {
  constructor(
    private readonly counters: Counters,
    private readonly options: LoginLimiterOptions,
  ) {}

  async blockedFor(address: string): Promise<number> {
    const key = failuresKey(address);
    if ((await this.counters.get(key)) < this.options.maxFailures) return 0;
    const ttlMs = (await this.counters.ttl(key)) ?? this.options.windowMs;
    return Math.max(1, Math.ceil(ttlMs / 1000));
  }

  async failed(address: string): Promise<void> {
    await this.counters.add(failuresKey(address), 1, this.options.windowMs);
  }

  async succeeded(address: string): Promise<void> {
    await this.counters.delete(failuresKey(address));
  }
}

const failuresKey = (address: string) => `dashboard:login-failures:${clientOf(address)}`;
