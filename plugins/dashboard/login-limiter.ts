/**
 * Dashboard logins per client: every attempt is counted before its key is compared, so however
 * many a client sends at once, only `maxFailures` in `windowMs` are compared; past them the client
 * is refused until the window ends, right key or not. A right key takes back its own attempt and
 * no other: a client can be many people (a NAT, a /64), an attacker among them. A client is
 * its IPv4 address (written as IPv6 too: mapped, or behind a NAT64 translator), or its IPv6 /64,
 * the smallest block a provider hands one customer (per address, one IPv6 client would have 2^64
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

/** What the login route asks, wherever the attempts are counted. */
export interface LoginAttempts {
  /** Seconds until the client at `address` may try again; 0 when it may now. Counts nothing. */
  blockedFor(address: string): Promise<number>;
  /** Counts an attempt, atomically, before its key is compared: seconds to wait when it is one too many, else 0. */
  attempt(address: string): Promise<number>;
  /** Takes back the attempt of a right key; the client's failures stay counted until the window ends. */
  succeeded(address: string): Promise<void>;
}

export function loginAttempts(counters: Counters, options: LoginLimiterOptions): LoginAttempts {
  if (!counters.local) return new SharedLoginLimiter(counters, options);
  const limiter = new LoginLimiter(options);
  return {
    blockedFor: async (address) => limiter.blockedFor(clientOf(address)),
    attempt: async (address) => limiter.attempt(clientOf(address)),
    succeeded: async (address) => limiter.succeeded(clientOf(address)),
  };
}

/**
 * The client an address counts as: an IPv4 address as itself, also written as IPv6 (mapped,
 * `::ffff:a.b.c.d` in any spelling, or NAT64's `64:ff9b::/96`); any other IPv6 address as its /64
 * (`2001:db8:0:1::/64`); anything else as given.
 */
export function clientOf(address: string): string {
  const groups = ipv6Groups(address.split('%')[0]!);
  if (!groups) return address;
  const zeros = (from: number, to: number) => groups.slice(from, to).every((group) => group === 0);
  const mapped = zeros(0, 5) && groups[5] === 0xffff;
  const nat64 = groups[0] === 0x64 && groups[1] === 0xff9b && zeros(2, 6);
  if (mapped || nat64) return [groups[6]! >> 8, groups[6]! & 255, groups[7]! >> 8, groups[7]! & 255].join('.');
  return `${groups.slice(0, 4).map((group) => group.toString(16)).join(':')}::/64`;
}

/** An IPv6 address's eight 16-bit groups, a trailing dotted IPv4 part as the last two; undefined when it is not one. */
function ipv6Groups(text: string): number[] | undefined {
  if (!isIPv6(text)) return undefined;
  const parse = (part: string) =>
    part === ''
      ? []
      : part.split(':').flatMap((group) => {
          if (!group.includes('.')) return [parseInt(group, 16)];
          const [a, b, c, d] = group.split('.').map(Number) as [number, number, number, number];
          return [(a << 8) | b, (c << 8) | d];
        });
  const [head, tail] = text.split('::') as [string, string | undefined];
  if (tail === undefined) return parse(head);
  const [left, right] = [parse(head), parse(tail)];
  return [...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right];
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

  /** Counts an attempt: seconds to wait when it is past `maxFailures` in the window, else 0. */
  attempt(client: string): number {
    this.failed(client);
    return this.blockedUntilEnd(client);
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

  /** After an attempt: seconds to the window's end when it took the count past `maxFailures`. */
  private blockedUntilEnd(client: string): number {
    const entry = this.entries.get(client)!;
    return entry.failures > this.options.maxFailures ? Math.ceil((entry.resetAt - this.now()) / 1000) : 0;
  }

  succeeded(client: string): void {
    const entry = this.entries.get(client);
    if (!entry) return;
    if (entry.failures > 1 && entry.resetAt > this.now()) entry.failures--;
    else this.entries.delete(client);
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
 * In the shared store: one counter a client, created with the window's TTL by its first attempt,
 * so the window is fixed from there as in this process. Where the store does not answer in time,
 * this replica counts alone meanwhile, in its own bounded map: the attempt is an exact add, which
 * fails rather than wait in the store's queue of counts to move later, where a flood of clients
 * would push out the counts of limits and budgets.
 */
class SharedLoginLimiter implements LoginAttempts {
  private readonly alone: LoginLimiter;

  constructor(
    private readonly counters: Counters,
    private readonly options: LoginLimiterOptions,
  ) {
    this.alone = new LoginLimiter(options);
  }

  async blockedFor(address: string): Promise<number> {
    const client = clientOf(address);
    const alone = this.alone.blockedFor(client);
    if (alone > 0) return alone;
    const key = failuresKey(client);
    if ((await this.counters.get(key)) < this.options.maxFailures) return 0;
    return this.waitFor(key);
  }

  async attempt(address: string): Promise<number> {
    const client = clientOf(address);
    const key = failuresKey(client);
    let count: number;
    try {
      count = await this.counters.add(key, 1, this.options.windowMs, { exact: true });
    } catch {
      return this.alone.attempt(client);
    }
    return count <= this.options.maxFailures ? 0 : this.waitFor(key);
  }

  /** Seconds until the key's window ends; 0 when it has just ended. */
  private async waitFor(key: string): Promise<number> {
    const ttlMs = await this.counters.ttl(key);
    return ttlMs === undefined ? 0 : Math.max(1, Math.ceil(ttlMs / 1000));
  }

  /**
   * The attempt taken back, in the window it was counted in. Were that window to end in between, the
   * new one would start at -1: one attempt more for one window, and only after a right key. Where
   * the store does not answer, the attempt stays counted: the login goes on.
   */
  async succeeded(address: string): Promise<void> {
    const client = clientOf(address);
    this.alone.succeeded(client);
    await this.counters.add(failuresKey(client), -1, this.options.windowMs).catch(() => undefined);
  }
}

const failuresKey = (client: string) => `dashboard:login-failures:${client}`;
