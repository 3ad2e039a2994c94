/**
 * One limited scope (a provider, or a deployment): configured requests per minute and per day,
 * tokens per minute and per day, and concurrency, as sliding windows over the store's counters;
 * plus what the provider itself said (exhausted for a while). On the SQLite store the counters
 * live in memory; on Redis every replica counts against the same windows.
 */
import { type Counters, type LocalCounters, type WindowReading, addToWindow, addToWindowNow, readWindow, readWindowNow, takeFromWindow, takeFromWindowNow, windowCount } from 'llm-gateway/store';

export interface Limits {
  rpm?: number;
  rpd?: number;
  tpm?: number;
  tpd?: number;
  concurrency?: number;
}

const MINUTE = 60_000;
const DAY = 86_400_000;
/**
 * An in-flight count that a crashed replica never took back expires once nothing has started or
 * ended in the scope for this long: each add renews it (set only when the key was made, it ran
 * out under steady traffic, and the requests running then were forgotten: twice the concurrency).
 */
const IN_FLIGHT_TTL = 15 * MINUTE;
/** Requests in flight: renewed while in use, and never below 0 (see `AddOptions`). */
const RENEW = { renewTtl: true, atLeast: 0 } as const;

export class Limiter {
  /** The request windows this scope limits: requests per minute, then per day. */
  private readonly requestWindows: Array<readonly [limit: number, windowMs: number, key: string]>;
  private readonly keys: { blocked: string; inFlight: string; requestsPerMinute: string; requestsPerDay: string; tokensPerMinute: string; tokensPerDay: string };

  constructor(
    readonly key: string,
    readonly limits: Limits,
    private readonly counters: Counters,
    /** What its counts are named after in the store, when not `key`: a deployment's, with its provider's generation. */
    readonly storeName = key,
    /** The provider's generation a learned scope is of (`PluginHost.providerGeneration`). */
    readonly generation = '',
  ) {
    const prefix = `limits:${storeName}`;
    this.keys = {
      blocked: `${prefix}:blocked`,
      inFlight: `${prefix}:inflight`,
      requestsPerMinute: `${prefix}:req:m`,
      requestsPerDay: `${prefix}:req:d`,
      tokensPerMinute: `${prefix}:tok:m`,
      tokensPerDay: `${prefix}:tok:d`,
    };
    const { rpm, rpd } = limits;
    this.requestWindows = [];
    if (rpm !== undefined) this.requestWindows.push([rpm, MINUTE, this.keys.requestsPerMinute]);
    if (rpd !== undefined) this.requestWindows.push([rpd, DAY, this.keys.requestsPerDay]);
  }

  /**
   * Takes a request slot if every limit allows one and returns 0; otherwise takes nothing and
   * returns how many milliseconds until one frees up. Answered at once when the counters live in
   * this process.
   */
  admit(now: number): number | Promise<number> {
    return this.counters.local ? this.admitNow(this.counters.local, now) : this.admitShared(now);
  }

  private admitNow(counters: LocalCounters, now: number): number {
    const blocked = counters.ttlNow(this.keys.blocked) ?? 0;
    if (blocked > 0) return blocked;
    const { tpm, tpd, concurrency } = this.limits;
    const tokensWait = fullWait(tpm === undefined ? undefined : readWindowNow(counters, this.keys.tokensPerMinute, MINUTE, now), tpm) || fullWait(tpd === undefined ? undefined : readWindowNow(counters, this.keys.tokensPerDay, DAY, now), tpd);
    if (tokensWait > 0) return tokensWait;
    // A full slot frees when some request ends: ask again in a second.
    if (concurrency !== undefined && this.inFlightNow(counters, 1) > concurrency) {
      this.inFlightNow(counters, -1);
      return 1000;
    }
    for (let index = 0; index < this.requestWindows.length; index++) {
      const [limit, windowMs, key] = this.requestWindows[index]!;
      const check = takeFromWindowNow(counters, key, 1, limit, windowMs, now);
      if (check.allowed) continue;
      // Refused: what the steps before took is given back (a refused window took nothing).
      for (const [, takenMs, takenKey] of this.requestWindows.slice(0, index)) addToWindowNow(counters, takenKey, -1, takenMs, now);
      if (concurrency !== undefined) this.inFlightNow(counters, -1);
      return check.retryAfterMs;
    }
    return 0;
  }

  /**
   * `admit` on a shared store (Redis), in two round trips rather than one per step: first every
   * read (a block, the token windows), then every take at once (the concurrency slot and the
   * request windows); when one take is refused, the others are given back.
   */
  private async admitShared(now: number): Promise<number> {
    const { tpm, tpd, concurrency } = this.limits;
    const [blocked, tokensThisMinute, tokensToday] = await Promise.all([
      this.blockedForMs(),
      tpm !== undefined ? readWindow(this.counters, this.keys.tokensPerMinute, MINUTE, now) : undefined,
      tpd !== undefined ? readWindow(this.counters, this.keys.tokensPerDay, DAY, now) : undefined,
    ]);
    if (blocked > 0) return blocked;
    const tokensWait = fullWait(tokensThisMinute, tpm) || fullWait(tokensToday, tpd);
    if (tokensWait > 0) return tokensWait;

    /** What one take answered, and how to give back what it holds (a refused window holds nothing). */
    type Take = { waitMs: number; giveBack?: () => Promise<unknown> };
    const takes: Array<Promise<Take>> = this.requestWindows.map(async ([limit, windowMs, key]) => {
      const check = await takeFromWindow(this.counters, key, 1, limit, windowMs, now);
      return check.allowed ? { waitMs: 0, giveBack: () => addToWindow(this.counters, key, -1, windowMs, now) } : { waitMs: check.retryAfterMs };
    });
    if (concurrency !== undefined) {
      // A full slot frees when some request ends: ask again in a second. Refused or not, it was taken.
      const giveBack = () => this.inFlight(-1);
      takes.push(this.inFlight(1).then((inFlight) => ({ waitMs: inFlight > concurrency ? 1000 : 0, giveBack })));
    }
    const settled = await Promise.allSettled(takes);
    const taken = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    const waitMs = Math.max(0, ...taken.map((t) => t.waitMs));
    if (failure || waitMs > 0) {
      await Promise.all(taken.map((t) => t.giveBack?.()));
      if (failure) throw failure.reason;
    }
    return waitMs;
  }

  /** Gives back everything an `admit` took (its request counts and slot): another scope refused the request. */
  withdraw(now: number): void | Promise<unknown> {
    const { local } = this.counters;
    if (local) {
      for (const [, windowMs, key] of this.requestWindows) addToWindowNow(local, key, -1, windowMs, now);
      return this.ended();
    }
    return Promise.all([...this.requestWindows.map(([, windowMs, key]) => addToWindow(this.counters, key, -1, windowMs, now)), this.ended()]);
  }

  /** Adds to the requests in flight, renewing the count's TTL (see IN_FLIGHT_TTL). */
  private inFlight(by: 1 | -1): Promise<number> {
    return this.counters.add(this.keys.inFlight, by, IN_FLIGHT_TTL, RENEW);
  }

  private inFlightNow(counters: LocalCounters, by: 1 | -1): number {
    return counters.addNow(this.keys.inFlight, by, IN_FLIGHT_TTL, RENEW);
  }

  /** Gives back the concurrency slot `admit` took; at once when the counters live in this process. */
  ended(): void | Promise<unknown> {
    if (this.limits.concurrency === undefined) return;
    if (this.counters.local) this.inFlightNow(this.counters.local, -1);
    else return this.inFlight(-1);
  }

  /**
   * Counts tokens in the windows a limit reads, and only those: a scope without a token limit (any
   * client-chosen deployment) would otherwise keep a day-long window per name it was ever asked.
   */
  usedTokens(count: number, now: number): void | Promise<unknown> {
    const { tpm, tpd } = this.limits;
    if (count <= 0 || (tpm === undefined && tpd === undefined)) return;
    const { local } = this.counters;
    if (local) {
      if (tpm !== undefined) addToWindowNow(local, this.keys.tokensPerMinute, count, MINUTE, now);
      if (tpd !== undefined) addToWindowNow(local, this.keys.tokensPerDay, count, DAY, now);
      return;
    }
    return Promise.all([
      tpm !== undefined ? addToWindow(this.counters, this.keys.tokensPerMinute, count, MINUTE, now) : undefined,
      tpd !== undefined ? addToWindow(this.counters, this.keys.tokensPerDay, count, DAY, now) : undefined,
    ]);
  }

  /** What the provider said: nothing goes to this scope for `ms` (a longer block is kept). */
  async block(ms: number): Promise<void> {
    if (ms <= 0 || (await this.blockedForMs()) >= ms) return;
    await this.counters.delete(this.keys.blocked);
    await this.counters.add(this.keys.blocked, 1, ms);
  }

  async blockedForMs(): Promise<number> {
    return (await this.counters.ttl(this.keys.blocked)) ?? 0;
  }

  /** Whether a request could go now, without taking anything. */
  async hasHeadroom(now: number): Promise<boolean> {
    if ((await this.blockedForMs()) > 0) return false;
    const { rpm, rpd, tpm, tpd, concurrency } = this.limits;
    const full = async (limit: number | undefined, key: string, windowMs: number) => limit !== undefined && (await windowCount(this.counters, key, windowMs, now)) >= limit;
    if (await full(rpm, this.keys.requestsPerMinute, MINUTE)) return false;
    if (await full(rpd, this.keys.requestsPerDay, DAY)) return false;
    if (await full(tpm, this.keys.tokensPerMinute, MINUTE)) return false;
    if (await full(tpd, this.keys.tokensPerDay, DAY)) return false;
    return concurrency === undefined || (await this.counters.get(this.keys.inFlight)) < concurrency;
  }

  /** Limits and what is used of them, for `GET /v1/providers/:id/health`. */
  async headroom(now: number): Promise<Record<string, unknown>> {
    const { rpm, rpd, tpm, tpd, concurrency } = this.limits;
    const used = (key: string, windowMs: number) => windowCount(this.counters, key, windowMs, now).then(Math.round);
    const blocked = await this.blockedForMs();
    return {
      scope: this.key,
      ...(rpm !== undefined ? { requestsPerMinute: { limit: rpm, used: await used(this.keys.requestsPerMinute, MINUTE) } } : {}),
      ...(rpd !== undefined ? { requestsPerDay: { limit: rpd, used: await used(this.keys.requestsPerDay, DAY) } } : {}),
      ...(tpm !== undefined ? { tokensPerMinute: { limit: tpm, used: await used(this.keys.tokensPerMinute, MINUTE) } } : {}),
      ...(tpd !== undefined ? { tokensPerDay: { limit: tpd, used: await used(this.keys.tokensPerDay, DAY) } } : {}),
      ...(concurrency !== undefined ? { concurrency: { limit: concurrency, used: await this.counters.get(this.keys.inFlight) } } : {}),
      ...(blocked > 0 ? { exhaustedForMs: blocked } : {}),
    };
  }
}

/** A token window at its limit: how long until a token fits again (0 when one does). */
function fullWait(window: WindowReading | undefined, limit: number | undefined): number {
  return window !== undefined && limit !== undefined && window.count >= limit ? window.waitFor(1, limit) : 0;
}
