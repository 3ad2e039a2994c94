/** Sliding windows over counters: what they count, across a bucket's end, and with their bucket keys kept between calls. */
import { describe, expect, it } from 'vitest';
import { MemoryCounters } from '../../../core/store/memory-counters.js';
import { addToWindowNow, clearWindow, takeFromWindowNow, windowCount, windowCountNow } from '../../../sdk/store/sliding-window.js';

const MINUTE = 60_000;
/** The start of a minute, so that offsets within it are plain. */
const T0 = 1_000 * MINUTE;

describe('sliding windows', () => {
  it('takes up to the limit within a bucket, refuses beyond it, and gives a refused take back', () => {
    const counters = new MemoryCounters(() => T0);
    for (let i = 0; i < 3; i++) expect(takeFromWindowNow(counters, 'rpm:k', 1, 3, MINUTE, T0 + 10).allowed).toBe(true);
    const refused = takeFromWindowNow(counters, 'rpm:k', 1, 3, MINUTE, T0 + 10);
    expect(refused).toMatchObject({ allowed: false, count: 3 });
    // Not when the next bucket starts, where the three still count in full: once they weigh 2 in it
    // (3 × (1 − e) + 1 ≤ 3), a third of the way in.
    expect(refused.retryAfterMs).toBe(MINUTE - 10 + MINUTE / 3);
    // The counter is `<key>:<bucket>`, and holds what was taken, not the refused one.
    expect(counters.getNow(`rpm:k:${T0 / MINUTE}`)).toBe(3);
  });

  it('weighs the previous bucket by how much of it the window still covers', () => {
    const counters = new MemoryCounters(() => T0);
    addToWindowNow(counters, 'tpm:k', 100, MINUTE, T0 + 30_000);
    // A quarter into the next bucket, three quarters of the previous one still count.
    expect(windowCountNow(counters, 'tpm:k', MINUTE, T0 + MINUTE + 15_000)).toBe(75);
    addToWindowNow(counters, 'tpm:k', 10, MINUTE, T0 + MINUTE + 15_000);
    expect(windowCountNow(counters, 'tpm:k', MINUTE, T0 + MINUTE + 15_000)).toBe(85);
    // And the same, back in the first bucket (a clock read late): only what that bucket holds.
    expect(windowCountNow(counters, 'tpm:k', MINUTE, T0 + 59_000)).toBe(100);
  });

  it('keeps the windows of one key apart when it is counted over two window sizes', () => {
    const counters = new MemoryCounters(() => T0);
    const DAY = 1_440 * MINUTE;
    for (let i = 0; i < 5; i++) {
      addToWindowNow(counters, 'k', 1, MINUTE, T0 + i);
      addToWindowNow(counters, 'k', 2, DAY, T0 + i);
    }
    expect(windowCountNow(counters, 'k', MINUTE, T0 + 10)).toBe(5);
    expect(windowCountNow(counters, 'k', DAY, T0 + 10)).toBe(10);
  });

  it('counts right for more keys than it keeps bucket keys for, and clears both buckets', async () => {
    const counters = new MemoryCounters(() => T0);
    const keys = Array.from({ length: 12_000 }, (_, i) => `key-${i}`);
    for (const key of keys) addToWindowNow(counters, key, 1, MINUTE, T0);
    for (const key of keys) addToWindowNow(counters, key, 1, MINUTE, T0 + MINUTE);
    expect(keys.every((key) => windowCountNow(counters, key, MINUTE, T0 + MINUTE) === 2)).toBe(true);
    await clearWindow(counters, 'key-7', MINUTE, T0 + MINUTE);
    expect(await windowCount(counters, 'key-7', MINUTE, T0 + MINUTE)).toBe(0);
    expect(await windowCount(counters, 'key-8', MINUTE, T0 + MINUTE)).toBe(2);
  });
});
