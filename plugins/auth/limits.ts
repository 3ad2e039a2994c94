/** Per-key rate limits: sliding windows of one minute over the store's counters. */
import { type Counters, type LocalCounters, addToWindow as add, addToWindowNow as addNow, takeFromWindow as take, takeFromWindowNow as takeNow, readWindow as read, readWindowNow as readNow, windowCount as count } from 'llm-gateway/store';

const MINUTE = 60_000;

/** What taking one request from a key's rpm answered. */
export interface RequestTake {
  allowed: boolean;
  retryAfterSeconds: number;
}

export async function takeFromWindow(counters: Counters, key: string, amount: number, limit: number, now = Date.now()): Promise<RequestTake> {
  return asTake(await take(counters, key, amount, limit, MINUTE, now));
}

/** `takeFromWindow` on counters in this process, without a promise. */
export function takeFromWindowNow(counters: LocalCounters, key: string, amount: number, limit: number, now = Date.now()): RequestTake {
  return asTake(takeNow(counters, key, amount, limit, MINUTE, now));
}

/** A window's or a token bucket's answer, in whole seconds to wait. */
export const asTake = (check: { allowed: boolean; retryAfterMs: number }): RequestTake => ({ allowed: check.allowed, retryAfterSeconds: Math.ceil(check.retryAfterMs / 1000) });

export const addToWindow = (counters: Counters, key: string, amount: number, now = Date.now()) => add(counters, key, amount, MINUTE, now);

export const addToWindowNow = (counters: LocalCounters, key: string, amount: number, now = Date.now()) => addNow(counters, key, amount, MINUTE, now);

export const windowCount = (counters: Counters, key: string, now = Date.now()) => count(counters, key, MINUTE, now);

/** A key's tokens this minute, with the wait for room in them. */
export const readWindow = (counters: Counters, key: string, now = Date.now()) => read(counters, key, MINUTE, now);

export const readWindowNow = (counters: LocalCounters, key: string, now = Date.now()) => readNow(counters, key, MINUTE, now);
