/**
 * The `memory` store deletes expired records nobody reads again: a sweep every minute (an unref'd
 * timer, stopped on close) drops the entries whose TTL has passed, while records without a TTL and
 * those still live stay. Before its fix, the store was Keyv's default Map, which deletes an expired
 * record only when it is read: records nobody read again (stored responses and their
 * client-chosen item ids, the cache's log, ended sessions) stayed for the life of the process, as
 * they did in SQLite before sqlite-expiry.ts.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../../core/logger.js';
import { openStore } from '../../../core/store/store.js';

afterEach(() => vi.useRealTimers());

describe('memory store: expired records', () => {
  it('does not keep expired records nobody reads again', async () => {
    vi.useFakeTimers({ now: Date.now() });
    const store = await openStore('memory', silentLogger);
    const kv = store.kv<Record<string, string>>('responses');
    // 20,000 distinct client-chosen ids (Responses item ids: `item:<owner>:<id>`), each with a 1 s TTL.
    for (let i = 0; i < 20_000; i++) await kv.set(`item::client-chosen-${i}`, `resp_${i}`, 1000);
    // An hour later (timers a sweep could use run too), and one more write.
    await vi.advanceTimersByTimeAsync(3_600_000);
    await kv.set('item::later', 'resp_later', 1000);
    const held = (kv as unknown as { store: Map<string, unknown> }).store;
    expect(held.size).toBeLessThan(1000);
    await store.close();
  });

  it('keeps live records and records without a TTL through the sweep', async () => {
    vi.useFakeTimers({ now: Date.now() });
    const store = await openStore('memory', silentLogger);
    const kv = store.kv<Record<string, string>>('responses');
    await kv.set('short', 'a', 1000);
    await kv.set('long', 'b', 7_200_000);
    await kv.set('forever', 'c');
    await kv.set('was-short', 'd', 1000);
    await kv.set('was-short', 'd2'); // written again without a TTL: it lives until deleted
    await vi.advanceTimersByTimeAsync(3_600_000);
    const held = (kv as unknown as { store: Map<string, unknown> }).store;
    expect(held.size).toBe(3);
    expect(await kv.get('short')).toBeUndefined();
    expect(await kv.get('long')).toBe('b');
    expect(await kv.get('forever')).toBe('c');
    expect(await kv.get('was-short')).toBe('d2');
    await store.close();
  });

  it('stops its sweep on close', async () => {
    vi.useFakeTimers({ now: Date.now() });
    const before = vi.getTimerCount();
    const store = await openStore('memory', silentLogger);
    store.kv('responses');
    await store.close();
    expect(vi.getTimerCount()).toBe(before);
  });
});
