/**
 * Team budgets in force: the config's, and those set while running, which every replica sharing
 * the store reads within its refresh, keeping a budget's object while it does not change.
 */
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../core/logger.js';
import { openStore } from '../../../core/store/store.js';
import { MAX_STORED_TEAMS, TeamBudgets } from '../../../plugins/auth/team-budgets.js';

describe('team budgets', () => {
  it('set on one replica hold on another once it refreshes, over the config\'s, and are taken back', async () => {
    const store = await openStore('memory', silentLogger);
    const config = new Map([['search', { dailyUsd: 5 }]]);
    const [one, two] = [new TeamBudgets(store, config, silentLogger), new TeamBudgets(store, config, silentLogger)];
    await Promise.all([one.start(60_000), two.start(60_000)]);
    try {
      const fromConfig = two.get('search');
      expect(fromConfig).toEqual({ dailyUsd: 5 });
      await one.set('ops', { monthlyUsd: 100 });
      expect(one.get('ops')).toEqual({ monthlyUsd: 100 });
      expect(two.get('ops')).toBeUndefined();
      await two.refresh();
      expect(two.get('ops')).toEqual({ monthlyUsd: 100 });
      // Unchanged budgets keep their objects (the windows made for them are kept too).
      const ops = two.get('ops');
      await one.set('search', { dailyUsd: 7 });
      await two.refresh();
      expect(two.get('ops')).toBe(ops);
      expect(two.get('search')).toEqual({ dailyUsd: 7 });
      expect(two.list()).toEqual([{ team: 'search', budget: { dailyUsd: 7 }, source: 'admin' }, { team: 'ops', budget: { monthlyUsd: 100 }, source: 'admin' }]);
      expect(await one.remove('search')).toBe(true);
      expect(await one.remove('search')).toBe(false);
      await two.refresh();
      expect(two.get('search')).toBe(fromConfig);
      expect(two.list().find((t) => t.team === 'search')?.source).toBe('config');
    } finally {
      one.close();
      two.close();
      await store.close();
    }
  });

  it(`holds at most ${MAX_STORED_TEAMS} teams set while running`, async () => {
    const store = await openStore('memory', silentLogger);
    const teams = new TeamBudgets(store, new Map(), silentLogger);
    await store.kv('teams').set('budgets', Object.fromEntries(Array.from({ length: MAX_STORED_TEAMS }, (_, i) => [`team-${i}`, { dailyUsd: 1 }])));
    await teams.refresh();
    await expect(teams.set('one-more', { dailyUsd: 1 })).rejects.toMatchObject({ status: 409, code: 'too_many_teams' });
    await teams.set('team-3', { dailyUsd: 2 });
    expect(teams.get('team-3')).toEqual({ dailyUsd: 2 });
    await store.close();
  });

  it("tells a team named like an object's own properties (constructor, toString, __proto__) from one that is not there", async () => {
    const store = await openStore('memory', silentLogger);
    const teams = new TeamBudgets(store, new Map([['constructor', { dailyUsd: 1 }]]), silentLogger);
    await teams.refresh();
    expect(teams.list()).toEqual([{ team: 'constructor', budget: { dailyUsd: 1 }, source: 'config' }]);
    expect(await teams.remove('toString')).toBe(false);
    expect(await teams.remove('constructor')).toBe(false);
    await teams.set('__proto__', { monthlyUsd: 3 });
    const other = new TeamBudgets(store, new Map(), silentLogger);
    await other.refresh();
    expect(other.get('__proto__')).toEqual({ monthlyUsd: 3 });
    expect(await other.remove('__proto__')).toBe(true);
    await store.close();
  });

  it('does not apply what a refresh read when a change made here overtook it', async () => {
    const store = await openStore('memory', silentLogger);
    const teams = new TeamBudgets(store, new Map(), silentLogger);
    await teams.set('ops', { dailyUsd: 1 });
    const kv = store.kv<{ budgets: Record<string, unknown>; version: string }>('teams');
    const [get, set] = [kv.get.bind(kv), kv.set.bind(kv)];
    // Another replica's write lands; this replica's refresh reads it slowly, and meanwhile changes ops here.
    await set('budgets', { ops: { dailyUsd: 2 } });
    await set('version', 'from-another-replica');
    let release: () => void = () => undefined;
    kv.get = (async (key: 'budgets' | 'version') => {
      const value = await get(key);
      if (key === 'budgets') await new Promise<void>((resolve) => (release = resolve));
      return value;
    }) as typeof kv.get;
    const slow = teams.refresh();
    await new Promise((resolve) => setTimeout(resolve, 10));
    kv.get = get;
    await teams.set('ops', { dailyUsd: 5 });
    release();
    await slow;
    expect(teams.get('ops')).toEqual({ dailyUsd: 5 });
    await store.close();
  });

  it('keeps the last budgets read while the store does not answer', async () => {
    const store = await openStore('memory', silentLogger);
    const teams = new TeamBudgets(store, new Map(), silentLogger);
    await teams.set('ops', { dailyUsd: 1 });
    const kv = store.kv('teams');
    kv.get = () => Promise.reject(new Error('store down'));
    await teams.refresh();
    expect(teams.get('ops')).toEqual({ dailyUsd: 1 });
    await store.close();
  });
});
