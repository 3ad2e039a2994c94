/**
 * One limited scope (a provider, or a deployment): configured requests per minute and per day,
 * tokens per minute and per day, and concurrency, as sliding windows over the store's counters;
 * plus what the provider itself said (exhausted for a while). On the SQLite store the counters
 * live in memory; on Redis every replica counts against the same windows.
 */
import { type Counters, addToWindow, takeFromWindow, windowCount } from 'llm-gateway/store';

export interface Limits {
  rpm?: number;
  rpd?: number;
  tpm?: number;
  tpd?: number;
  concurrency?: number;
}

const MINUTE = 60_000;
const DAY = 86_400_000;
/** An in-flight count that a crashed replica never took back expires after this long. */
const IN_FLIGHT_TTL = 15 * MINUTE;

export class Limiter {
  private readonly prefix: string;

  constructor(
    readonly key: string,
    readonly limits: Limits,
    private readonly counters: Counters,
  ) {
    this.prefix = `limits:${key}`;
  }

  /**
   * Takes a request slot if every limit allows one and returns 0; otherwise takes nothing and
   * returns how many milliseconds until one frees up.
   */
  async admit(now: number): Promise<number> {
    const blocked = await this.blockedForMs();
    if (blocked > 0) return blocked;
    const { rpm, rpd, tpm, tpd, concurrency } = this.limits;
    const undo: Array<() => Promise<unknown>> = [];
    const refuse = async (waitMs: number) => {
      await Promise.all(undo.map((u) => u()));
      return waitMs;
    };
    if (tpm !== undefined && (await windowCount(this.counters, `${this.prefix}:tok:m`, MINUTE, now)) >= tpm) return refuse(this.untilNextBucket(MINUTE, now));
    if (tpd !== undefined && (await windowCount(this.counters, `${this.prefix}:tok:d`, DAY, now)) >= tpd) return refuse(this.untilNextBucket(DAY, now));
    if (concurrency !== undefined) {
      const inFlight = await this.counters.add(`${this.prefix}:inflight`, 1, IN_FLIGHT_TTL);
      undo.push(() => this.counters.add(`${this.prefix}:inflight`, -1, IN_FLIGHT_TTL));
      // A full slot frees when some request ends: ask again in a second.
      if (inFlight > concurrency) return refuse(1000);
    }
    for (const [limit, windowMs, name] of [[rpm, MINUTE, 'm'], [rpd, DAY, 'd']] as const) {
      if (limit === undefined) continue;
      const check = await takeFromWindow(this.counters, `${this.prefix}:req:${name}`, 1, limit, windowMs, now);
      if (!check.allowed) return refuse(check.retryAfterMs);
      undo.push(() => addToWindow(this.counters, `${this.prefix}:req:${name}`, -1, windowMs, now));
    }
    return 0;
  }

  /** Gives back the concurrency slot `admit` took. */
  async ended(): Promise<void> {
    if (this.limits.concurrency !== undefined) await this.counters.add(`${this.prefix}:inflight`, -1, IN_FLIGHT_TTL);
  }

  /**
   * Counts tokens in the windows a limit reads, and only those: a scope without a token limit (any
   * client-chosen deployment) would otherwise keep a day-long window per name it was ever asked.
   */
  async usedTokens(count: number, now: number): Promise<void> {
    if (count <= 0) return;
    const { tpm, tpd } = this.limits;
    await Promise.all([
      tpm !== undefined ? addToWindow(this.counters, `${this.prefix}:tok:m`, count, MINUTE, now) : undefined,
      tpd !== undefined ? addToWindow(this.counters, `${this.prefix}:tok:d`, count, DAY, now) : undefined,
    ]);
  }

  /** What the provider said: nothing goes to this scope for `ms` (a longer block is kept). */
  async block(ms: number): Promise<void> {
    if (ms <= 0 || (await this.blockedForMs()) >= ms) return;
    await this.counters.delete(`${this.prefix}:blocked`);
    await this.counters.add(`${this.prefix}:blocked`, 1, ms);
  }

  async blockedForMs(): Promise<number> {
    return (await this.counters.ttl(`${this.prefix}:blocked`)) ?? 0;
  }

  /** Whether a request could go now, without taking anything. */
  async hasHeadroom(now: number): Promise<boolean> {
    if ((await this.blockedForMs()) > 0) return false;
    const { rpm, rpd, tpm, tpd, concurrency } = this.limits;
    const full = async (limit: number | undefined, key: string, windowMs: number) => limit !== undefined && (await windowCount(this.counters, key, windowMs, now)) >= limit;
    if (await full(rpm, `${this.prefix}:req:m`, MINUTE)) return false;
    if (await full(rpd, `${this.prefix}:req:d`, DAY)) return false;
    if (await full(tpm, `${this.prefix}:tok:m`, MINUTE)) return false;
    if (await full(tpd, `${this.prefix}:tok:d`, DAY)) return false;
    return concurrency === undefined || (await this.counters.get(`${this.prefix}:inflight`)) < concurrency;
  }

  /** Limits and what is used of them, for `GET /v1/providers/:id/health`. */
  async headroom(now: number): Promise<Record<string, unknown>> {
    const { rpm, rpd, tpm, tpd, concurrency } = this.limits;
    const used = (key: string, windowMs: number) => windowCount(this.counters, key, windowMs, now).then(Math.round);
    const blocked = await this.blockedForMs();
    return {
      scope: this.key,
      ...(rpm !== undefined ? { requestsPerMinute: { limit: rpm, used: await used(`${this.prefix}:req:m`, MINUTE) } } : {}),
      ...(rpd !== undefined ? { requestsPerDay: { limit: rpd, used: await used(`${this.prefix}:req:d`, DAY) } } : {}),
      ...(tpm !== undefined ? { tokensPerMinute: { limit: tpm, used: await used(`${this.prefix}:tok:m`, MINUTE) } } : {}),
      ...(tpd !== undefined ? { tokensPerDay: { limit: tpd, used: await used(`${this.prefix}:tok:d`, DAY) } } : {}),
      ...(concurrency !== undefined ? { concurrency: { limit: concurrency, used: await this.counters.get(`${this.prefix}:inflight`) } } : {}),
      ...(blocked > 0 ? { exhaustedForMs: blocked } : {}),
    };
  }

  private untilNextBucket(windowMs: number, now: number): number {
    return windowMs - (now % windowMs);
  }
}
