/**
 * BoundedCounters: calls of unknown fate on a count with a floor, and the record of deletes, on a
 * fake shared store that can apply an add and never answer it (the connection then dies: a
 * rejection that says nothing) or answer late.
 *
 * Before their fixes (a review of the day's own changes):
 * 1. A take (+1) of unknown fate on a count with a floor (requests in flight) was moved again:
 *    counted twice, and since every admission renews the count, the slot was held for good. On
 *    such a count a take of unknown fate is now taken as landed and a give-back as not: a count
 *    that went low comes back to the floor, one that went high never would.
 * 2. The record of deletes was cleared wholesale at 10,000 keys while calls on their way held
 *    marks taken before: a call's answer then read as "deleted since" and was never settled, and
 *    every budget reservation on its key was judged with that amount owed on top, for good.
 *    Deletes are now numbered across keys, and only those older than any call they could concern
 *    are forgotten (core/store/calls-on-their-way.ts).
 */
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../core/logger.js';
import { BoundedCounters } from '../../../core/store/bounded-counters.js';
import type { AddOptions } from '../../../core/store/counters.js';
import { FakeSharedCounters } from '../../support/counters.js';

type Mode = 'normal' | 'deaf' | 'late';

/** The "Redis": `truth` holds what it applied. */
class FakeShared extends FakeSharedCounters {
  mode: Mode = 'normal';
  /** Answers held in 'late' mode: each applies its add and answers when called. */
  readonly held: Array<() => void> = [];

  override add(key: string, by: number, ttlMs?: number, options?: AddOptions): Promise<number> {
    if (this.mode === 'deaf') {
      // Applied; the connection then dies without its answer.
      void this.truth.add(key, by, ttlMs, options);
      return new Promise((_, reject) => setTimeout(() => reject(new Error('Socket closed unexpectedly')), 60));
    }
    if (this.mode === 'late') return new Promise((resolve) => this.held.push(() => void this.truth.add(key, by, ttlMs, options).then(resolve)));
    return this.truth.add(key, by, ttlMs, options);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const RENEW = { renewTtl: true, atLeast: 0 } as const; // plugins/rate-limits/limiter.ts
const IN_FLIGHT_TTL = 15 * 60_000;
const DAY = 86_400_000;

describe('calls of unknown fate on a count with a floor', () => {
  it('a request in flight whose +1 landed on a connection that then died is not counted twice for good', async () => {
    const shared = new FakeShared();
    const counters = new BoundedCounters(shared, silentLogger, 20);
    try {
      // A request starts: +1 in flight. Redis applies it; its answer never comes, the connection dies.
      shared.mode = 'deaf';
      expect(await counters.add('limits:p:inflight', 1, IN_FLIGHT_TTL, RENEW)).toBe(1);
      await sleep(150); // the rejection came: fate unknown
      shared.mode = 'normal';
      // Any call on the key moves what the ledger holds.
      await counters.get('limits:p:inflight');
      // The request ends.
      await counters.add('limits:p:inflight', -1, IN_FLIGHT_TTL, RENEW);
      await sleep(1100); // the background mover has run too
      // One request started and ended: nothing in flight. (Renewed by every request, a leftover is held for good.)
      expect(await shared.truth.get('limits:p:inflight')).toBe(0);
    } finally {
      await counters.close();
    }
  });
});

describe('deletion marks cleared under a call on its way', () => {
  /** A budget key deleted once; an add on it answered late, after `otherDeletes` deletes of other keys; then an exact add. */
  async function exactAddAfterLateAnswer(otherDeletes: number): Promise<{ inStore: number; exactTotal: number }> {
    const shared = new FakeShared();
    const counters = new BoundedCounters(shared, silentLogger, 20);
    try {
      await counters.delete('budget:k'); // e.g. a reset: the key's mark is 1
      shared.mode = 'late';
      expect(await counters.add('budget:k', 5, DAY)).toBe(5); // timed out: on its way
      shared.mode = 'normal';
      for (let i = 0; i < otherDeletes; i++) await counters.delete(`circuit:d:probes:${i}`);
      shared.held.splice(0).forEach((answer) => answer()); // Redis applies it and answers: it counted once
      await sleep(1100); // the fate is known, and the background mover has run
      const exactTotal = await counters.add('budget:k', 10, DAY, { exact: true });
      return { inStore: await shared.truth.get('budget:k'), exactTotal };
    } finally {
      await counters.close();
    }
  }

  it('an exact add is not judged with an amount owed that already landed, after 10,000 other keys were deleted', async () => {
    const control = await exactAddAfterLateAnswer(0);
    const afterClear = await exactAddAfterLateAnswer(10_000);
    expect({ control, afterClear }).toEqual({ control: { inStore: 15, exactTotal: 15 }, afterClear: { inStore: 15, exactTotal: 15 } });
  });
});
