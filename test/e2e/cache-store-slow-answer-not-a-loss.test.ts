/**
 * The cache takes a counter read that came back low for a store that lost its log. On Redis the
 * counters are BoundedCounters: a `get` the store does not answer within 250 ms is answered from
 * the local ledger (0 for the log's sequence). One slow answer, no data lost: the replica logs
 * "the store lost its log", forgets its whole view and its unlogged records, and re-reads from 0,
 * moving the shared counter past records that were never lost.
 * Before its fix (the fifty-fourth session's first version of the loss check), that is what
 * happened; now only the store's own report of a loss (Store.dataLosses) makes the cache read its
 * log again.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Logger } from '../../core/logger.js';
import { silentLogger } from '../../core/logger.js';
import { BoundedCounters } from '../../core/store/bounded-counters.js';
import { MemoryCounters } from '../../core/store/memory-counters.js';
import { openStore, type Store } from '../../core/store/store.js';
import { CacheEntries, type EntriesOptions, type EntryMeta } from '../../plugins/cache/entries.js';
import type { CacheEntry } from '../../plugins/cache/entry.js';

const SEQ = 'cache:log-seq';
const options: EntriesOptions = { maxEntries: 100, maxBytes: 1_000_000, storeTimeoutMs: 250, syncIntervalMs: 60_000, logTtlMs: 3_600_000, dataLosses: () => 0 };

function entryFor(key: string): { entry: CacheEntry; meta: EntryMeta } {
  const createdAt = Date.now();
  const expiresAt = createdAt + 3_600_000;
  return { entry: { v: 1, operation: 'chat', createdAt, expiresAt, model: 'mock/m', scope: 'global' }, meta: { key, scope: 'global', model: 'mock/m', owner: null, bytes: 10, createdAt, expiresAt } };
}

let store: Store | undefined;
let entries: CacheEntries | undefined;
let bounded: BoundedCounters | undefined;
afterEach(async () => {
  entries?.stop();
  await bounded?.close();
  await store?.close();
});

describe('cache log: a slow counter read is not a lost store', () => {
  it('keeps its view, its counter and says nothing of a loss when one counter read is late', async () => {
    store = await openStore('memory', silentLogger);
    const shared = new MemoryCounters();
    let slow = false;
    const slowShared = new Proxy(shared, {
      get(target, prop, receiver) {
        if (prop === 'get') return async (key: string) => {
          const value = await target.get(key);
          if (slow) await new Promise((r) => setTimeout(r, 400)); // a Redis answering late, nothing lost
          return value;
        };
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
    bounded = new BoundedCounters(slowShared, silentLogger); // as the Redis store builds its counters (250 ms)
    const warnings: string[] = [];
    const logger: Logger = { ...silentLogger, warn: (message: string) => void warnings.push(message) } as Logger;
    entries = new CacheEntries(store.kv('cache'), bounded, { ...options }, { added: () => undefined, removed: () => undefined }, logger);
    await entries.start();
    for (const key of ['a', 'b', 'c']) {
      const { entry, meta } = entryFor(key);
      await entries.put(entry, meta);
    }
    expect(await shared.get(SEQ)).toBe(3);

    slow = true;
    const viewDuring: number[] = [];
    const during = entries.sync();
    await new Promise((r) => setTimeout(r, 300));
    viewDuring.push([...entries.alive()].length);
    slow = false;
    await during;

    expect.soft(warnings.filter((w) => w.includes('lost its log'))).toEqual([]);
    expect.soft(viewDuring).toEqual([3]);
    // The log's counter is the store's own: nothing is added to it by a reader.
    expect(await shared.get(SEQ)).toBe(3);
  });
});
