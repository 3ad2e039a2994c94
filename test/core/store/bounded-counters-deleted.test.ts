/**
 * BoundedCounters (core/store/bounded-counters.ts) on a real Redis behind a stallable proxy: a key
 * deleted while an add to it was on its way ends at 0, not negative. Needs REDIS_URL.
 */
import { describe, expect, it } from 'vitest';
import { stalledRedisCounters } from '../../support/stalled-redis-counters.js';

const REDIS_URL = process.env.REDIS_URL;
const { setUp, inRedis } = stalledRedisCounters('review-state', 150);

describe.skipIf(!REDIS_URL)('bounded counters: a late answer after a delete', () => {
  /*
   * Promised (core/store/bounded-counters.ts, header; docs/reliability.md "A Redis call that timed
   * out is still applied by Redis later: Counted once: its late answer takes it out of the local
   * ledger"): "Nothing is counted twice, and nothing is lost."
   * What happens: an add that timed out is counted in the ledger; a delete of the key (e.g.
   * clearWindow when a circuit closes) clears the ledger and reaches Redis after the add. When the
   * add's late answer comes, `addLocally(key, -by)` is run on a ledger entry that no longer exists:
   * it creates a -by entry, marks the key pending, and the mover pushes -by into Redis. The counter
   * that was deleted (0) ends at -1, and stays wrong until its window expires: a circuit needs one
   * failure more to open, a rate window lets one more request through.
   */
  it('a counter deleted while an add was in flight ends at 0, not negative', async () => {
    const { proxy, counters } = await setUp();
    expect(await counters.add('failures', 1, 60_000)).toBe(1);
    proxy.stall('hold');
    // Times out (150 ms) and is counted here; its bytes wait in the proxy.
    expect(await counters.add('failures', 1, 60_000)).toBe(1); // the ledger's own count
    // The window is cleared while Redis is still stalled; this too waits in the proxy.
    await counters.delete('failures');
    proxy.resume();
    // Redis applies the add, then the delete: the key is gone. Then the mover runs (every second).
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(await inRedis('failures')).toBe(0);
    expect(await counters.get('failures')).toBe(0);
  });
});
