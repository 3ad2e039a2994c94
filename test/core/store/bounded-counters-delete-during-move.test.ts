/**
 * Counters: a key deleted while this process moves its local count into Redis ends at 0, not
 * below. Needs REDIS_URL.
 *
 * Before its fix: a count answered locally (the quiet second after a failure) was being moved;
 * then the key was deleted (a circuit closing deletes `tripped` and `probes`; rate limits' block
 * deletes `blocked`). The delete emptied the ledger and reached Redis after the move's add, so
 * Redis ended at 0; but the move's answer, in time or late, then took its amount out of the emptied
 * ledger, leaving -5 there, which the next move carried into Redis. For `probes` that is five more
 * probes into a half-open circuit; for `tripped`, a re-opened circuit read as closed after its
 * cooldown. A move now takes the key's deletion mark when it reads the ledger
 * (core/store/calls-on-their-way.ts `mark`), and drops its result if the key was deleted since.
 */
import { describe, expect, it } from 'vitest';
import { stalledRedisCounters } from '../../support/stalled-redis-counters.js';

const REDIS_URL = process.env.REDIS_URL;
const { setUp, inRedis } = stalledRedisCounters('delete-during-move', 100);
/** Counters with a bound long enough that a move's answer comes in time, after the delete. */
const slow = stalledRedisCounters('delete-during-move-in-time', 2000);

describe.skipIf(!REDIS_URL)('a delete while a move is on its way', () => {
  it('a counter deleted while its local count was being moved ends at 0, not negative', async () => {
    const { proxy, counters } = await setUp();
    proxy.stall('hold');
    // Another key's add times out (100 ms): for a second adds are answered here, at once.
    await counters.add('circuit:up/m:failures:1', 1, 60_000);
    // A probe slot taken in that second: counted in the ledger only, owed to Redis.
    expect(await counters.add('circuit:up/m:probes', 5, 120_000)).toBe(5);
    // A read moves it: the move's add (+5) is sent and waits in the proxy.
    const read = counters.get('circuit:up/m:probes');
    // The circuit closes meanwhile (a probe succeeded): the key is deleted; the DEL waits behind the add.
    // (The move's own 100 ms bound was started before this timer, and ends after it: it is still on its way.)
    await new Promise((resolve) => setTimeout(resolve, 20));
    const deleted = counters.delete('circuit:up/m:probes');
    await read; // ran out of time
    await deleted; // ran out of time
    proxy.resume();
    // Redis applies the move's +5, then the DEL. A call behind them on the same connection answers after both.
    await counters.get('barrier');
    // Any later call on the key moves what the ledger holds for it.
    await counters.get('circuit:up/m:probes');
    expect(await inRedis('circuit:up/m:probes')).toBe(0);
  });

  it('a move answered in time after a delete of its key leaves no negative count behind', async () => {
    const { proxy, counters } = await slow.setUp();
    proxy.stall('hold');
    // Another key's add times out (2 s): for a second adds are answered here, at once.
    await counters.add('circuit:up/m:failures:1', 1, 60_000);
    expect(await counters.add('circuit:up/m:tripped', 5, 86_400_000)).toBe(5);
    const read = counters.get('circuit:up/m:tripped'); // the move's +5 waits in the proxy
    await new Promise((resolve) => setTimeout(resolve, 20));
    const deleted = counters.delete('circuit:up/m:tripped'); // the DEL waits behind it
    proxy.resume(); // both answered well within the 2 s bound: the move ends in time, after the delete
    const seen = await read;
    await deleted;
    // Later the store fails again, and the circuit opens in that quiet second: tripped +1, counted here.
    proxy.stall('hold');
    await counters.add('circuit:up/m:failures:2', 1, 60_000);
    await counters.add('circuit:up/m:tripped', 1, 86_400_000);
    proxy.resume();
    await counters.get('barrier');
    await counters.get('circuit:up/m:tripped'); // moves what the ledger holds
    // The read saw 5 (before the delete) or 0 (after it); Redis holds the one add made since: 1.
    expect({ seen: seen === 5 ? 0 : seen, inRedis: await slow.inRedis('circuit:up/m:tripped') }).toEqual({ seen: 0, inRedis: 1 });
  });
});
