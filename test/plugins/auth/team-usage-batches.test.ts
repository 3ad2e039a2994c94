/**
 * What teams spent (`GET /admin/teams`, the dashboard's Keys page) is read fifty teams at a time.
 * Before: every team's windows at once, up to a thousand stored teams and the config's (two
 * counter reads each), on the connection requests' budgets share.
 */
import { afterEach, expect, it } from 'vitest';
import { silentLogger } from '../../../core/logger.js';
import { openStore, type Store } from '../../../core/store/store.js';
import { teamUsage } from '../../../plugins/auth/admin-routes.js';
import { inBatches } from '../../../sdk/store.js';

let store: Store;
afterEach(() => store?.close());

it('reads the teams a batch at a time, in order', async () => {
  store = await openStore('memory', silentLogger);
  const get = store.counters.get.bind(store.counters);
  let reading = 0;
  let most = 0;
  store.counters.get = async (key) => {
    most = Math.max(most, ++reading);
    await new Promise((r) => setTimeout(r, 1));
    try {
      return await get(key);
    } finally {
      reading--;
    }
  };
  const teams = Array.from({ length: 300 }, (_, i) => ({ team: `team-${i}`, budget: { dailyUsd: 1, monthlyUsd: 10 }, source: 'admin' as const }));
  const usage = await teamUsage(store, teams);
  expect(usage.map((t) => t.team)).toEqual(teams.map((t) => t.team));
  expect(usage[0]!.spentUsd).toEqual({ daily: 0, monthly: 0 });
  // Before: 600 at once.
  expect(most).toBeLessThanOrEqual(100);
});

it('inBatches keeps the order and runs at most a batch at once', async () => {
  let running = 0;
  let most = 0;
  const out = await inBatches([5, 4, 3, 2, 1, 0, 9], 3, async (n) => {
    most = Math.max(most, ++running);
    await new Promise((r) => setTimeout(r, n));
    running--;
    return n * 2;
  });
  expect(out).toEqual([10, 8, 6, 4, 2, 0, 18]);
  expect(most).toBe(3);
});
