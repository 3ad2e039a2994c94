/**
 * BoundedCounters in front of a shared store that answers some calls and never others (a store
 * under a burst, or one whose answers are read too late): what an exact add does when counts this
 * process still owes the store are waiting to be moved. The Redis behaviour end to end is in
 * redis-stall.test.ts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../core/logger.js';
import { BoundedCounters } from '../../../core/store/bounded-counters.js';
import type { AddOptions, Counters } from '../../../core/store/counters.js';
import { MemoryCounters } from '../../../core/store/memory-counters.js';

/** A shared store whose adds of one amount never answer, as if its replies came too late. */
class StallingStore extends MemoryCounters {
  stalledAmount: number | undefined;
  readonly adds: number[] = [];
  /** While set, a sequence number is drawn but its answer held back until `release()`. */
  holdNext = false;
  private held: (() => void)[] = [];

  override async next(key: string): Promise<number> {
    const number = await super.next(key);
    if (this.holdNext) await new Promise<void>((resolve) => this.held.push(resolve));
    return number;
  }

  release(): void {
    for (const resolve of this.held.splice(0)) resolve();
  }

  override add(key: string, by: number, ttlMs?: number, _options?: AddOptions): Promise<number> {
    this.adds.push(by);
    if (by === this.stalledAmount) return new Promise(() => undefined);
    return super.add(key, by, ttlMs);
  }
}

const opened: Counters[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((counters) => counters.close()));
});

function setUp(): { shared: StallingStore; counters: BoundedCounters } {
  const shared = new StallingStore();
  // The shared store hides its synchronous face: BoundedCounters must take the asynchronous path.
  Object.defineProperty(shared, 'local', { value: undefined });
  const counters = new BoundedCounters(shared, silentLogger, 50);
  opened.push(counters);
  return { shared, counters };
}

describe('BoundedCounters, exact adds', () => {
  it('an exact add is not held up by counts still owed on its key: it answers, and counts what is owed', async () => {
    const { shared, counters } = setUp();
    expect(await counters.add('budget', 100, undefined, { exact: true })).toBe(100);
    // A settlement of +30 times out: it is counted here, owed to the store.
    shared.stalledAmount = 30;
    expect(await counters.add('budget', 30)).toBe(30);
    // Moving those 30 keeps timing out (the same amount stalls), but the store answers other adds.
    // The reservation is judged on what the store has plus what it is owed: 100 + 5 + 30.
    expect(await counters.add('budget', 5, undefined, { exact: true })).toBe(135);
    expect(await shared.get('budget')).toBe(105);
  });

  it('money owed back (a negative count) is left out: the total judged by is the stricter one', async () => {
    const { shared, counters } = setUp();
    await counters.add('budget', 100, undefined, { exact: true });
    shared.stalledAmount = -40;
    expect(await counters.add('budget', -40)).toBe(-40);
    expect(await counters.add('budget', 5, undefined, { exact: true })).toBe(105);
  });

  it('an exact add the store does not answer is refused (503) after its own, longer bound, never counted here', async () => {
    const { shared, counters } = setUp();
    shared.stalledAmount = 7;
    const started = performance.now();
    await expect(counters.add('budget', 7, undefined, { exact: true })).rejects.toMatchObject({ code: 'store_unavailable', status: 503 });
    // Four times the counters' bound (50 ms here): a late answer costs latency before it costs a refusal.
    expect(performance.now() - started).toBeGreaterThanOrEqual(195);
    shared.stalledAmount = undefined;
    expect(await counters.get('budget')).toBe(0);
  });
});

describe('BoundedCounters, after a failure', () => {
  // A reliability review measured about 1 s a request on a stalled Redis: each of a request's
  // counter calls waited out its own bound in turn. Now, for a second after a call fails, calls
  // (adds and bucket takes; reads still ask the store) are answered here at once; the background
  // move finds the store again.
  it('answers the next adds here without asking the store, until a move gets through', async () => {
    const { shared, counters } = setUp();
    shared.stalledAmount = 30;
    expect(await counters.add('a', 30)).toBe(30);
    const asked = shared.adds.length;
    expect(await counters.add('b', 1)).toBe(1);
    expect(await counters.takeFromBucket('c', 1, 5, 1)).toMatchObject({ allowed: true });
    expect(shared.adds.length).toBe(asked);
    shared.stalledAmount = undefined;
    // The stalled add never answers: taken as lost after 40 times the bound (2 s here), then moved.
    await expect.poll(() => shared.get('a'), { timeout: 5000 }).toBe(30);
    await counters.add('c', 2);
    expect(await shared.get('c')).toBe(2);
    expect(await shared.get('b')).toBe(1);
  });
});

describe('BoundedCounters, sequence numbers', () => {
  it('a number the store does not answer in time is refused, never drawn here; drawn late, it is left unused', async () => {
    const { shared, counters } = setUp();
    expect(await counters.next('log')).toBe(1);
    shared.holdNext = true;
    const started = performance.now();
    await expect(counters.next('log')).rejects.toMatchObject({ code: 'store_unavailable', status: 503 });
    expect(performance.now() - started).toBeGreaterThanOrEqual(195);
    // The store drew 2 for the refused call (its answer was late): not taken back, since another
    // replica may have drawn 3 meanwhile, and 2 handed out again would overwrite no one's record.
    shared.holdNext = false;
    shared.release();
    expect(await counters.next('log')).toBe(3);
    expect(await counters.get('log')).toBe(3);
  });
});

/** A shared store whose adds fail while `failure` is set: with an error that says it changed nothing, or one that cannot say. */
class FailingStore extends MemoryCounters {
  failure: 'not sent' | 'connection died' | undefined;

  override add(key: string, by: number, ttlMs?: number, options?: AddOptions): Promise<number> {
    if (this.failure === 'connection died') void super.add(key, by, ttlMs); // it landed, but nobody heard
    if (this.failure) return Promise.reject(new Error(this.failure));
    return super.add(key, by, ttlMs, options);
  }

  neverApplied(error: unknown): boolean {
    return (error as Error).message === 'not sent';
  }
}

describe('BoundedCounters, an add that failed', () => {
  function failing(): { shared: FailingStore; counters: BoundedCounters } {
    const shared = new FailingStore();
    Object.defineProperty(shared, 'local', { value: undefined });
    const counters = new BoundedCounters(shared, silentLogger, 50);
    opened.push(counters);
    return { shared, counters };
  }

  it('one the store never got is moved when it answers again, a give-back too', async () => {
    const { shared, counters } = failing();
    await counters.add('budget', 100, undefined, { exact: true });
    shared.failure = 'not sent';
    expect(await counters.add('budget', -40)).toBe(-40);
    shared.failure = undefined;
    await expect.poll(() => shared.get('budget'), { timeout: 3000 }).toBe(60);
  });

  it('one that may have landed is settled on the stricter side: a take moved again, a give-back dropped', async () => {
    // Two processes, since after a failure a process answers adds itself for a second.
    const budget = failing();
    const limit = failing();
    await budget.counters.add('budget', 100, undefined, { exact: true });
    budget.shared.failure = limit.shared.failure = 'connection died';
    await budget.counters.add('budget', -40); // landed: 60
    await limit.counters.add('limit', 5); // landed: 5
    budget.shared.failure = limit.shared.failure = undefined;
    // The take goes in again (10: a limit reached early at worst); the give-back is not sent again
    // (had it not landed, the budget would read 40 more spent than it is, never less).
    await expect.poll(() => limit.shared.get('limit'), { timeout: 3000 }).toBe(10);
    await new Promise((resolve) => setTimeout(resolve, 1200)); // a mover's turn
    expect(await budget.shared.get('budget')).toBe(60);
  });
});
