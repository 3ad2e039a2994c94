/**
 * Per-key rate limits as sliding windows over the store's counters: the current minute's count
 * plus the previous minute's, weighted by how much of it still overlaps the last 60 seconds
 * (Cloudflare's sliding window counter). Two counter reads, no per-request log, and on Redis the
 * same windows for every replica.
 */
import type { Counters } from '../../core/store/counters.js';

const MINUTE = 60_000;

export interface WindowCheck {
  allowed: boolean;
  /** The estimated count over the last minute, this request included when allowed. */
  count: number;
  /** Seconds until enough of the window has slid by, when refused. */
  retryAfterSeconds: number;
}

/**
 * Adds `amount` to the window and says whether the limit still holds. A refused request is taken
 * back out, so refusals do not eat the allowance.
 */
export async function takeFromWindow(counters: Counters, key: string, amount: number, limit: number, now = Date.now()): Promise<WindowCheck> {
  const current = Math.floor(now / MINUTE);
  const elapsed = (now % MINUTE) / MINUTE;
  const [inCurrent, inPrevious] = await Promise.all([counters.add(`${key}:${current}`, amount, 2 * MINUTE), counters.get(`${key}:${current - 1}`)]);
  const count = inPrevious * (1 - elapsed) + inCurrent;
  if (count <= limit) return { allowed: true, count, retryAfterSeconds: 0 };
  await counters.add(`${key}:${current}`, -amount, 2 * MINUTE);
  // When the previous minute's weight has shrunk enough, or at the latest when it is gone.
  const excess = count - limit;
  const wait = inPrevious > 0 ? Math.min((1 - elapsed) * 60, (excess / inPrevious) * 60) : (1 - elapsed) * 60;
  return { allowed: false, count: count - amount, retryAfterSeconds: Math.max(1, Math.ceil(wait)) };
}

/** Records usage that was only known afterwards (tokens), without a check. */
export async function addToWindow(counters: Counters, key: string, amount: number, now = Date.now()): Promise<void> {
  if (amount === 0) return;
  await counters.add(`${key}:${Math.floor(now / MINUTE)}`, amount, 2 * MINUTE);
}

/** The estimated count over the last minute, without adding anything. */
export async function windowCount(counters: Counters, key: string, now = Date.now()): Promise<number> {
  const current = Math.floor(now / MINUTE);
  const elapsed = (now % MINUTE) / MINUTE;
  const [inCurrent, inPrevious] = await Promise.all([counters.get(`${key}:${current}`), counters.get(`${key}:${current - 1}`)]);
  return inPrevious * (1 - elapsed) + inCurrent;
}
