/** Per-key rate limits: sliding windows of one minute over the store's counters. */
import { type Counters, addToWindow as add, takeFromWindow as take, windowCount as count } from 'llm-gateway/store';

const MINUTE = 60_000;

export async function takeFromWindow(counters: Counters, key: string, amount: number, limit: number, now = Date.now()): Promise<{ allowed: boolean; retryAfterSeconds: number }> {
  const check = await take(counters, key, amount, limit, MINUTE, now);
  return { allowed: check.allowed, retryAfterSeconds: Math.ceil(check.retryAfterMs / 1000) };
}

export const addToWindow = (counters: Counters, key: string, amount: number, now = Date.now()) => add(counters, key, amount, MINUTE, now);

export const windowCount = (counters: Counters, key: string, now = Date.now()) => count(counters, key, MINUTE, now);
