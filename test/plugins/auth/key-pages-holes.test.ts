/**
 * A page of keys over slots no key holds reads them a batch at a time.
 *
 * Before its fix (a review of 5aacc87; it failed before, 154 round trips): KeyPlaces.page read slots in batches of
 * `Math.min(LIST_BATCH, limit + 1 - found.length, place)` (plugins/auth/key-list.ts, the `places`
 * line): the batch shrinks to what the page still lacks. Over slots no key holds (holes: every
 * `counters.next` that timed out on Redis but landed, i.e. each key creation answered 503 during a
 * Redis stall, see Counters.next), a page that lacks one or two keys reads one or two slots per
 * round trip: `?limit=1` (or the dashboard's page of 50 once it has 49) over 300 holes is ~150
 * sequential store round trips, where reading a hundred at a time would take 3.
 *
 * What a user sees: pages (and the hourly scan) slow down in proportion to the holes left by past
 * Redis stalls, one round trip per hole, on the connection requests' key lookups share.
 *
 * The fix: read `Math.min(LIST_BATCH, place)` slots a batch once a batch has come back with
 * holes (or always), and keep only what the page needs.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../core/logger.js';
import { openStore, type Store } from '../../../core/store/store.js';
import { KeyStore, keyStateOf, type KeyRecords } from '../../../plugins/auth/keys.js';
import type { TypedKv } from '../../../core/store/store.js';

let store: Store;
beforeEach(async () => {
  store = await openStore('memory', silentLogger);
});
afterEach(() => store.close());

/** The keys' kv with each read taking a round trip (1 ms), counting round trips (reads started while none was in flight). */
function countingKv(kv: TypedKv<KeyRecords>) {
  const stats = { rounds: 0, inFlight: 0 };
  const wrapped: TypedKv<KeyRecords> = {
    ...kv,
    get: async (key) => {
      if (stats.inFlight++ === 0) stats.rounds++;
      try {
        await new Promise((resolve) => setTimeout(resolve, 1));
        return await kv.get(key);
      } finally {
        stats.inFlight--;
      }
    },
    set: (key, value, ttl) => kv.set(key, value, ttl),
    delete: (key) => kv.delete(key),
  };
  return { wrapped, stats };
}

describe('a page over slots no key holds', () => {
  it('reads them a batch at a time, not one round trip each', async () => {
    const state = keyStateOf(store);
    const plain = new KeyStore(state, 0);
    const old = await plain.create({ name: 'old' });
    await plain.create({ name: 'older-than-holes' });
    // 300 creations answered 503 during a Redis stall: their numbers were drawn all the same.
    await store.counters.add('keys:slots', 300);
    const newest = await plain.create({ name: 'newest' });
    const { wrapped, stats } = countingKv(state.kv);
    const keys = new KeyStore({ ...state, kv: wrapped }, 0);
    const first = await keys.page(1);
    expect(first.keys.map((k) => k.id)).toEqual([newest.key.id]);
    stats.rounds = 0;
    const second = await keys.page(1, first.next);
    expect(second.keys.map((k) => k.name)).toEqual(['older-than-holes']);
    void old;
    // Expected: a handful of round trips (the counter, 300 slots a hundred at a time, the record);
    // actual: about 150, two slots per round trip.
    expect(stats.rounds).toBeLessThanOrEqual(12);
  });
});
