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

/** A window's two buckets at some moment: their counters' keys, and how much of the current one has passed (0–1). */
interface Buckets {
  current: string;
  previous: string;
  elapsed: number;
}

/**
 * The counters' keys of each window's current and previous bucket (`<key>:<bucket number>`), made
 * once a bucket rather than on every call. A Map finds a string it has not seen by hashing all of
 * it, and a key built anew for each request was new each time: two to four such lookups a window
 * a request (the full pipeline looked up about 17). A kept string keeps its hash. Callers that
 * pass the same key string each time (a plugin's own, made once) make the lookup here cheap too.
 * Bounded: keys come from configuration and from gateway keys, but a caller could pass anything.
 */
const bucketKeys = new Map<string, { bucket: number; current: string; previous: string }>();
const MAX_WINDOWS_KEPT = 10_000;

function buckets(key: string, windowMs: number, now: number): Buckets {
  const bucket = Math.floor(now / windowMs);
  let keys = bucketKeys.get(key);
  if (keys === undefined || keys.bucket !== bucket) {
    if (keys === undefined && bucketKeys.size >= MAX_WINDOWS_KEPT) bucketKeys.clear();
    keys = { bucket, current: `${key}:${bucket}`, previous: `${key}:${bucket - 1}` };
    bucketKeys.set(key, keys);
  }
  return { current: keys.current, previous: keys.previous, elapsed: (now % windowMs) / windowMs };
}

/** Adds `amount` if the window stays within `limit`; a refused amount is taken back out. */
export async function takeFromWindow(counters: Counters, key: string, amount: number, limit: number, windowMs: number, now = Date.now()): Promise<WindowCheck> {
  if (counters.local) return takeFromWindowNow(counters.local, key, amount, limit, windowMs, now);
  const { current, previous, elapsed } = buckets(key, windowMs, now);
  const [inCurrent, inPrevious] = await Promise.all([counters.add(current, amount, 2 * windowMs), counters.get(previous)]);
  const check = judge(inPrevious, inCurrent, elapsed, amount, limit, windowMs, now);
  if (!check.allowed) await counters.add(current, -amount, 2 * windowMs);
  return check;
}

/** `takeFromWindow` on counters in this process, without a promise. */
export function takeFromWindowNow(counters: LocalCounters, key: string, amount: number, limit: number, windowMs: number, now = Date.now()): WindowCheck {
  const { current, previous, elapsed } = buckets(key, windowMs, now);
  const inCurrent = counters.addNow(current, amount, 2 * windowMs);
  const check = judge(counters.getNow(previous), inCurrent, elapsed, amount, limit, windowMs, now);
  if (!check.allowed) counters.addNow(current, -amount, 2 * windowMs);
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
  await counters.add(buckets(key, windowMs, now).current, amount, 2 * windowMs);
}

export function addToWindowNow(counters: LocalCounters, key: string, amount: number, windowMs: number, now = Date.now()): void {
  if (amount !== 0) counters.addNow(buckets(key, windowMs, now).current, amount, 2 * windowMs);
}

/** Empties the window (both buckets), e.g. when a circuit closes. */
export async function clearWindow(counters: Counters, key: string, windowMs: number, now = Date.now()): Promise<void> {
  const { current, previous } = buckets(key, windowMs, now);
  await Promise.all([counters.delete(current), counters.delete(previous)]);
}

/** The estimated count over the window, without adding anything. */
export async function windowCount(counters: Counters, key: string, windowMs: number, now = Date.now()): Promise<number> {
  if (counters.local) return windowCountNow(counters.local, key, windowMs, now);
  const { current, previous, elapsed } = buckets(key, windowMs, now);
  const [inCurrent, inPrevious] = await Promise.all([counters.get(current), counters.get(previous)]);
  return inPrevious * (1 - elapsed) + inCurrent;
}

export function windowCountNow(counters: LocalCounters, key: string, windowMs: number, now = Date.now()): number {
  const { current, previous, elapsed } = buckets(key, windowMs, now);
  return counters.getNow(previous) * (1 - elapsed) + counters.getNow(current);
}

/** Milliseconds until `amount` more fits: the previous bucket's weight shrinking, or the next bucket's. */
export function waitUnder(inPrevious: number, inCurrent: number, amount: number, limit: number, now: number, windowMs: number): number {
  const untilNextBucket = windowMs - (now % windowMs);
  const elapsed = (now % windowMs) / windowMs;
  const room = limit - inCurrent - amount;
  if (room < 0) {
    // The current bucket alone is over: it becomes the previous one, and fits once its weight has
    // shrunk enough (inCurrent * (1 - e) <= limit - amount); a token window filled at the end of its
    // minute frees part of the way into the next, not at its start.
    const needed = inCurrent > 0 ? Math.min(1, Math.max(0, 1 - (limit - amount) / inCurrent)) : 0;
    return Math.max(1, Math.ceil(untilNextBucket + needed * windowMs));
  }
  if (inPrevious <= 0) return Math.max(1, Math.ceil(untilNextBucket));
  // inPrevious * (1 - e) <= room  ⇔  e >= 1 - room / inPrevious
  const needed = 1 - room / inPrevious;
  return Math.max(1, Math.ceil(Math.min(untilNextBucket, (needed - elapsed) * windowMs)));
}

/** A window as read: its estimated count, and what it takes to work out a wait for room in it. */
export interface WindowReading {
  count: number;
  /** Milliseconds until `amount` more fits under `limit`. */
  waitFor(amount: number, limit: number): number;
}

/** `windowCount`, with the wait for room in the window (token limits, refused by their count). */
export async function readWindow(counters: Counters, key: string, windowMs: number, now = Date.now()): Promise<WindowReading> {
  if (counters.local) return readWindowNow(counters.local, key, windowMs, now);
  const { current, previous, elapsed } = buckets(key, windowMs, now);
  const [inCurrent, inPrevious] = await Promise.all([counters.get(current), counters.get(previous)]);
  return reading(inPrevious, inCurrent, elapsed, windowMs, now);
}

export function readWindowNow(counters: LocalCounters, key: string, windowMs: number, now = Date.now()): WindowReading {
  const { current, previous, elapsed } = buckets(key, windowMs, now);
  return reading(counters.getNow(previous), counters.getNow(current), elapsed, windowMs, now);
}

function reading(inPrevious: number, inCurrent: number, elapsed: number, windowMs: number, now: number): WindowReading {
  return { count: inPrevious * (1 - elapsed) + inCurrent, waitFor: (amount, limit) => waitUnder(inPrevious, inCurrent, amount, limit, now, windowMs) };
}
