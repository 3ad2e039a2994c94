/**
 * One limited scope (a provider, or a deployment): configured requests per minute and per day,
 * tokens per minute and per day, and concurrency, counted over sliding windows; plus what the
 * provider itself said (exhausted until a time). All in memory, on the hot path.
 */
export interface Limits {
  rpm?: number;
  rpd?: number;
  tpm?: number;
  tpd?: number;
  concurrency?: number;
}

const MINUTE = 60_000;
const DAY = 86_400_000;

export class Limiter {
  private requests: number[] = [];
  private tokens: Array<{ at: number; count: number }> = [];
  inFlight = 0;
  /** Set from provider headers or a 429's Retry-After. */
  blockedUntil = 0;

  constructor(readonly key: string, readonly limits: Limits) {}

  /** Milliseconds until a request may go (0: now). */
  waitMs(now: number): number {
    this.prune(now);
    const waits = [Math.max(0, this.blockedUntil - now)];
    const { rpm, rpd, tpm, tpd, concurrency } = this.limits;
    if (rpm !== undefined) waits.push(windowWait(this.requests, rpm, MINUTE, now));
    if (rpd !== undefined) waits.push(windowWait(this.requests, rpd, DAY, now));
    if (tpm !== undefined) waits.push(tokenWait(this.tokens, tpm, MINUTE, now));
    if (tpd !== undefined) waits.push(tokenWait(this.tokens, tpd, DAY, now));
    // A full concurrency slot frees when some request ends: ask again in a second.
    if (concurrency !== undefined && this.inFlight >= concurrency) waits.push(1000);
    return Math.max(...waits);
  }

  started(now: number): void {
    this.requests.push(now);
    this.inFlight++;
  }

  ended(): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
  }

  usedTokens(count: number, now: number): void {
    if (count > 0) this.tokens.push({ at: now, count });
  }

  headroom(now: number): Record<string, unknown> {
    this.prune(now);
    const minute = this.requests.filter((at) => now - at < MINUTE).length;
    const tokensMinute = this.tokens.filter((t) => now - t.at < MINUTE).reduce((n, t) => n + t.count, 0);
    const { rpm, rpd, tpm, tpd, concurrency } = this.limits;
    return {
      scope: this.key,
      ...(rpm !== undefined ? { requestsPerMinute: { limit: rpm, used: minute } } : {}),
      ...(rpd !== undefined ? { requestsPerDay: { limit: rpd, used: this.requests.length } } : {}),
      ...(tpm !== undefined ? { tokensPerMinute: { limit: tpm, used: tokensMinute } } : {}),
      ...(tpd !== undefined ? { tokensPerDay: { limit: tpd, used: this.tokens.reduce((n, t) => n + t.count, 0) } } : {}),
      ...(concurrency !== undefined ? { concurrency: { limit: concurrency, used: this.inFlight } } : {}),
      ...(this.blockedUntil > now ? { exhaustedForMs: this.blockedUntil - now } : {}),
    };
  }

  private prune(now: number): void {
    if (this.requests.length > 0 && now - this.requests[0]! >= DAY) this.requests = this.requests.filter((at) => now - at < DAY);
    if (this.tokens.length > 0 && now - this.tokens[0]!.at >= DAY) this.tokens = this.tokens.filter((t) => now - t.at < DAY);
  }
}

/** How long until fewer than `limit` requests fall inside the window. */
function windowWait(times: readonly number[], limit: number, window: number, now: number): number {
  const inWindow = times.filter((at) => now - at < window);
  if (inWindow.length < limit) return 0;
  return inWindow[inWindow.length - limit]! + window - now;
}

function tokenWait(entries: ReadonlyArray<{ at: number; count: number }>, limit: number, window: number, now: number): number {
  const inWindow = entries.filter((e) => now - e.at < window);
  let used = inWindow.reduce((n, e) => n + e.count, 0);
  if (used < limit) return 0;
  for (const entry of inWindow) {
    used -= entry.count;
    if (used < limit) return entry.at + window - now;
  }
  return window;
}
