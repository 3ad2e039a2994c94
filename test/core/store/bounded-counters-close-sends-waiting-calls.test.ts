/**
 * BoundedCounters.close() with calls waiting to be sent again (their connection died with them in
 * flight): each gets one last copy, and what is not answered in time is settled on the stricter side.
 *
 * Before its fix (a review of the fifty-ninth session's own change): close() left them where they
 * were. Their amounts stay out of every move (`amountOf`), so close()'s last move sent nothing for
 * them: a positive amount (a budget settled above its reservation) was lost for good. Before that
 * change, such a call was settled at once as unknown, and a positive one moved by close().
 */
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../core/logger.js';
import { BoundedCounters } from '../../../core/store/bounded-counters.js';
import { RememberingCounters } from '../../support/counters.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('BoundedCounters.close() with a call waiting to be sent again', () => {
  it('a settlement above the reservation (+30) whose connection died reaches the store when the gateway closes', async () => {
    const store = new RememberingCounters();
    const counters = new BoundedCounters(store, silentLogger, 20);
    await counters.add('budget:k', 100, 60_000, { exact: true }); // the reservation
    store.dying = true;
    await counters.add('budget:k', 30, 60_000, { exactlyOnce: true }); // the answer cost 30 more: its connection dies
    await sleep(60); // its fate is unknown: it waits to be sent again
    store.dying = false; // Redis answers again; the gateway is told to stop (SIGTERM) before the mover's next tick
    await counters.close();
    // Expected 130 (or more: the stricter side). Actual: 100, the 30 spent is lost and the budget can be passed by it.
    expect(await store.truth.get('budget:k')).toBeGreaterThanOrEqual(130);
  });
});
