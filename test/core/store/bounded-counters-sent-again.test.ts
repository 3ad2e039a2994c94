/**
 * BoundedCounters on a shared store that remembers call ids (`Counters.addOnce`): a call of
 * unknown fate is sent again under its id until a copy is answered, for a bounded time, and not
 * after its key was deleted. A fake store here; test/core/store/sent-again-under-its-id.test.ts
 * shows the same on Redis behind a proxy that loses calls.
 */
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../core/logger.js';
import { BoundedCounters } from '../../../core/store/bounded-counters.js';
import { RememberingCounters } from '../../support/counters.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits (up to 5 s: the mover ticks once a second) for the store to hold `value`. */
async function storeHolds(store: RememberingCounters, key: string, value: number): Promise<number> {
  const deadline = Date.now() + 5000;
  while ((await store.truth.get(key)) !== value && Date.now() < deadline) await sleep(20);
  return store.truth.get(key);
}
const ONCE = { exactlyOnce: true } as const;

describe('BoundedCounters: calls sent again under their id', () => {
  it('a give-back that never landed is sent again once the store answers, and counts once', async () => {
    const store = new RememberingCounters();
    const counters = new BoundedCounters(store, silentLogger, 20); // sent again for 2.4 s
    try {
      await counters.add('budget:k', 100, 60_000, ONCE);
      store.dying = true;
      await counters.add('budget:k', -40, 60_000, ONCE);
      await sleep(1100); // the mover tried a copy while the store was still dying: it failed
      expect(await store.truth.get('budget:k')).toBe(100);
      store.dying = false;
      expect(await storeHolds(store, 'budget:k', 60)).toBe(60);
      await sleep(1100); // and nothing more is sent
      expect(await store.truth.get('budget:k')).toBe(60);
      expect(await counters.get('budget:k')).toBe(60);
    } finally {
      await counters.close();
    }
  });

  it('a give-back that landed, its answer lost, is sent again and counts once', async () => {
    const store = new RememberingCounters();
    store.landing = true;
    const counters = new BoundedCounters(store, silentLogger, 20);
    try {
      await counters.add('budget:k', 100, 60_000, ONCE);
      store.dying = true;
      await counters.add('budget:k', -40, 60_000, ONCE);
      await sleep(100);
      store.dying = false;
      const deadline = Date.now() + 5000;
      while (store.copies === 0 && Date.now() < deadline) await sleep(20);
      expect({ copies: store.copies, inStore: await store.truth.get('budget:k'), read: await counters.get('budget:k') }).toEqual({ copies: 1, inStore: 60, read: 60 });
    } finally {
      await counters.close();
    }
  });

  it('an add not asked to count once is settled on the stricter side, as before', async () => {
    const store = new RememberingCounters();
    const counters = new BoundedCounters(store, silentLogger, 20);
    try {
      await counters.add('budget:k', 100, 60_000);
      store.dying = true;
      await counters.add('budget:k', -40, 60_000);
      await sleep(100);
      store.dying = false;
      await sleep(1100);
      expect(await store.truth.get('budget:k')).toBe(100); // dropped: money counted as spent at worst
    } finally {
      await counters.close();
    }
  });

  it('is settled on the stricter side once the store may have forgotten its id', async () => {
    const store = new RememberingCounters();
    const counters = new BoundedCounters(store, silentLogger, 5); // sent again for 0.6 s, one mover tick a second
    try {
      await counters.add('budget:k', 100, 60_000, ONCE);
      store.dying = true;
      await counters.add('budget:k', -40, 60_000, ONCE);
      await sleep(1500); // past the window while the store still fails
      store.dying = false;
      await sleep(1100);
      expect(await store.truth.get('budget:k')).toBe(100);
      expect(await counters.get('budget:k')).toBe(100);
    } finally {
      await counters.close();
    }
  });

  it('is not sent again after its key was deleted', async () => {
    const store = new RememberingCounters();
    const counters = new BoundedCounters(store, silentLogger, 20);
    try {
      await counters.add('budget:k', 100, 60_000, ONCE);
      store.dying = true;
      await counters.add('budget:k', -40, 60_000, ONCE);
      await sleep(100);
      store.dying = false;
      await counters.delete('budget:k');
      await sleep(1100);
      expect(await store.truth.get('budget:k')).toBe(0);
    } finally {
      await counters.close();
    }
  });
});
