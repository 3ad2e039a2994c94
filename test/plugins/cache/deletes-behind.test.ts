/**
 * Entries leaving the cache, deleted from the store a batch at a time behind the caller
 * (plugins/cache/deletes-behind.ts).
 *
 * Before (a review of the admin plane at scale; the e2e case is test/e2e/cache-clear-sqlite-store.test.ts):
 * a clear deleted every entry at once, one store call each, and answered only after all of them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../core/logger.js';
import { openStore, type Store } from '../../../core/store/store.js';
import { CacheEntries, type EntriesOptions } from '../../../plugins/cache/entries.js';
import { DELETE_BATCH, DeletesBehind } from '../../../plugins/cache/deletes-behind.js';

/** A deleteMany whose calls end when the test says, counting them and how many run at once. */
function heldDeletes() {
  const calls: string[][] = [];
  const pending: Array<() => void> = [];
  let running = 0;
  let most = 0;
  const deleteMany = (keys: string[]) =>
    new Promise<boolean>((resolve) => {
      calls.push(keys);
      most = Math.max(most, ++running);
      pending.push(() => (running--, resolve(true)));
    });
  const endOne = async () => {
    pending.shift()!();
    for (let i = 0; i < 3; i++) await new Promise((r) => setImmediate(r));
  };
  return { deleteMany, calls, pending, endOne, most: () => most };
}

describe('DeletesBehind', () => {
  it('deletes a batch a call, one call at a time, and a key is gone to lookups until its batch was tried', async () => {
    const held = heldDeletes();
    const deletes = new DeletesBehind(held.deleteMany, 60_000);
    const keys = Array.from({ length: 450 }, (_, i) => `e:${i}`);
    deletes.delete(keys);
    expect(deletes.has('e:449')).toBe(true);
    await new Promise((r) => setImmediate(r));
    expect(held.calls.map((c) => c.length)).toEqual([DELETE_BATCH]);
    await held.endOne();
    expect(deletes.has('e:0')).toBe(false);
    expect(deletes.has('e:449')).toBe(true);
    await held.endOne();
    await held.endOne();
    await deletes.settled();
    expect(held.calls.map((c) => c.length)).toEqual([200, 200, 50]);
    expect(held.calls.flat().sort()).toEqual([...keys].sort());
    expect(held.most()).toBe(1);
  });

  it('starts again for keys added after a drain ended, an empty one included', async () => {
    const calls: string[][] = [];
    const deletes = new DeletesBehind(async (keys: string[]) => void calls.push(keys), 60_000);
    deletes.delete([]);
    await deletes.settled();
    deletes.delete(['e:a']);
    await deletes.settled();
    deletes.delete(['e:b']);
    await deletes.settled();
    expect(calls).toEqual([['e:a'], ['e:b']]);
  });

  it('goes on past a call that fails or does not answer in time, and keeps a key stored again', async () => {
    const calls: string[][] = [];
    let call = 0;
    const deletes = new DeletesBehind(async (keys: string[]) => {
      calls.push(keys);
      if (call++ === 0) throw new Error('the store is down');
    }, 60_000);
    deletes.delete(Array.from({ length: 250 }, (_, i) => `e:${i}`));
    deletes.keep('e:249');
    await deletes.settled();
    expect(calls.map((c) => c.length)).toEqual([200, 49]);
    const stalled = new DeletesBehind(() => new Promise(() => undefined), 20);
    stalled.delete(['e:x']);
    await stalled.settled();
    expect(stalled.has('e:x')).toBe(false);
  });
});

describe('a clear of many entries', () => {
  let store: Store;
  afterEach(() => store?.close());

  it('asks the store to delete them a batch a call, and none is found meanwhile', async () => {
    store = await openStore('memory', silentLogger);
    const kv = store.kv<Record<string, unknown>>('cache');
    const options: EntriesOptions = { maxEntries: 2_000, maxBytes: 100_000_000, storeTimeoutMs: 1_000, syncIntervalMs: 60_000, logTtlMs: 3_600_000 };
    const entries = new CacheEntries(kv as never, store.counters, options, { added: () => undefined, removed: () => undefined }, silentLogger);
    await entries.start();
    try {
      const now = Date.now();
      for (let i = 0; i < 1_000; i++) {
        const meta = { key: `k${i}`, scope: 'global', model: 'mock/m', owner: null, bytes: 10, createdAt: now, expiresAt: now + 3_600_000 };
        await entries.put({ v: 1, operation: 'chat', createdAt: now, expiresAt: now + 3_600_000, model: 'mock/m', scope: 'global' } as never, meta);
      }
      let singles = 0;
      const many: number[] = [];
      const lookedUpMeanwhile: Array<Promise<unknown>> = [];
      const { delete: one, deleteMany } = kv;
      kv.delete = (key) => (singles++, one.call(kv, key));
      kv.deleteMany = (keys) => {
        // A lookup while the store still holds them: the first and the last entry cleared.
        if (many.length === 0) lookedUpMeanwhile.push(entries.get('k0'), entries.get('k999'));
        many.push(keys.length);
        return deleteMany.call(kv, keys);
      };
      expect(await entries.clear({})).toBe(1_000);
      expect(await Promise.all(lookedUpMeanwhile)).toEqual([undefined, undefined]);
      // Before: 1,000 deletes at once, one a key.
      expect({ singles, many }).toEqual({ singles: 0, many: [200, 200, 200, 200, 200] });
      expect(await kv.get('e:k500')).toBeUndefined();
    } finally {
      entries.stop();
    }
  });
});
