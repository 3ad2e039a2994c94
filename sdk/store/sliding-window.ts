/**
 * Sliding windows over counters (Cloudflare's sliding window counter): a window's count is the
 * current bucket's plus the previous bucket's, weighted by how much of it still overlaps the
 * window. Two counters per window whatever the traffic, one atomic add per request, and on Redis
 * the same windows for every replica. The estimate assumes the previous bucket's requests were
 * spread evenly: exact at the bucket boundaries, close in between.
 */
import type { Counters, LocalCounters } from '../../core/store/counters.js';

export interface WindowCheck {
  allowed: boolean;
  /** The estimated count over the window, the amount taken included when allowed. */
  count: number;
  /** Milliseconds until the estimate falls back under the limit, when refused. */
  retryAfterMs: number;
}

function buckets(windowMs: number, now: number): { current: number; elapsed: number } {
  return { current: Math.floor(now / windowMs), elapsed: (now % windowMs) / windowMs };
}

/** Adds `amount` if the window stays within `limit`; a refused amount is taken back out. */
export async function takeFromWindow(counters: Counters, key: string, amount: number, limit: number, windowMs: number, now = Date.now()): Promise<WindowCheck> {
  if (counters.local) return takeFromWindowNow(counters.local, key, amount, limit, windowMs, now);
  const { current, elapsed } = buckets(windowMs, now);
  const [inCurrent, inPrevious] = await Promise.all([counters.add(`${key}:${current}`, amount, 2 * windowMs), counters.get(`${key}:${current - 1}`)]);
  const check = judge(inPrevious, inCurrent, elapsed, amount, limit, windowMs, now);
  if (!check.allowed) await counters.add(`${key}:${current}`, -amount, 2 * windowMs);
  return check;
}

/** `takeFromWindow` on counters in this process, without a promise. */
export function takeFromWindowNow(counters: LocalCounters, key: string, amount: number, limit: number, windowMs: number, now = Date.now()): WindowCheck {
  const { current, elapsed } = buckets(windowMs, now);
  const inCurrent = counters.addNow(`${key}:${current}`, amount, 2 * windowMs);
  const check = judge(counters.getNow(`${key}:${current - 1}`), inCurrent, elapsed, amount, limit, windowMs, now);
  if (!check.allowed) counters.addNow(`${key}:${current}`, -amount, 2 * windowMs);
  return check;
}

function judge(inPrevious: number, inCurrent: number, elapsed: number, amount: number, limit: number, windowMs: number, now: number): WindowCheck {
  const count = inPrevious * (1 - elapsed) + inCurrent;
  if (count <= limit) return { allowed: true, count, retryAfterMs: 0 };
  return { allowed: false, count: count - amount, retryAfterMs: waitUnder(inPrevious, inCurrent - amount, amount, limit, now, windowMs) };
}

/** Records an amount known only afterwards (tokens), without a check. */
export async function addToWindow(counters: Counters, key: string, amount: number, windowMs: number, now = Date.now()): Promise<void> {
  if (amount === 0) return;
  if (counters.local) return addToWindowNow(counters.local, key, amount, windowMs, now);
  await counters.add(`${key}:${buckets(windowMs, now).current}`, amount, 2 * windowMs);
}

export function addToWindowNow(counters: LocalCounters, key: string, amount: number, windowMs: number, now = Date.now()): void {
  if (amount !== 0) counters.addNow(`${key}:${buckets(windowMs, now).current}`, amount, 2 * windowMs);
}

/** Empties the window (both buckets), e.g. when a circuit closes. */
export async function clearWindow(counters: Counters, key: string, windowMs: number, now = Date.now()): Promise<void> {
  const { current } = buckets(windowMs, now);
  await Promise.all([counters.delete(`${key}:${current}`), counters.delete(`${key}:${current - 1}`)]);
}

/** The estimated count over the window, without adding anything. */
export async function windowCount(counters: Counters, key: string, windowMs: number, now = Date.now()): Promise<number> {
  if (counters.local) return windowCountNow(counters.local, key, windowMs, now);
  const { current, elapsed } = buckets(windowMs, now);
  const [inCurrent, inPrevious] = await Promise.all([counters.get(`${key}:${current}`), counters.get(`${key}:${current - 1}`)]);
  return inPrevious * (1 - elapsed) + inCurrent;
}

export function windowCountNow(counters: LocalCounters, key: string, windowMs: number, now = Date.now()): number {
  const { current, elapsed } = buckets(windowMs, now);
  return counters.getNow(`${key}:${current - 1}`) * (1 - elapsed) + counters.getNow(`${key}:${current}`);
}

/** Milliseconds until `amount` more fits: the previous bucket's weight shrinking, or the next bucket. */
export function waitUnder(inPrevious: number, inCurrent: number, amount: number, limit: number, now: number, windowMs: number): number {
  const untilNextBucket = windowMs - (now % windowMs);
  const elapsed = (now % windowMs) / windowMs;
  const room = limit - inCurrent - amount;
  // The current bucket alone is full: nothing frees up before the next one starts.
  if (inPrevious <= 0 || room < 0) return Math.max(1, Math.ceil(untilNextBucket));
  // inPrevious * (1 - e) <= room  ⇔  e >= 1 - room / inPrevious
  const needed = 1 - room / inPrevious;
  return Math.max(1, Math.ceil(Math.min(untilNextBucket, (needed - elapsed) * windowMs)));
}
