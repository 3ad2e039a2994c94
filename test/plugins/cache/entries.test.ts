/**
 * The cache's log as replicas read it, two `CacheEntries` on one store: a number drawn before its
 * record is stored (the writer between its INCR and its SET), a number whose record never comes
 * (a writer that gave up), a clear read before a late add it covers, a replica far behind, and a
 * counter left behind its records by a crash.
 * Two gateways on a real Redis are in test/e2e/cache-replicas.test.ts.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../../core/logger.js';
import { openStore, type Store } from '../../../core/store/store.js';
import { CacheEntries, type EntriesOptions, type EntryMeta } from '../../../plugins/cache/entries.js';
import type { CacheEntry } from '../../../plugins/cache/entry.js';

const SEQ = 'cache:log-seq';
const options: EntriesOptions = { maxEntries: 100, maxBytes: 1_000_000, storeTimeoutMs: 250, syncIntervalMs: 60_000, logTtlMs: 3_600_000 };
const listener = { added: () => undefined, removed: () => undefined };

const opened: CacheEntries[] = [];
let store: Store;
afterEach(async () => {
  for (const entries of opened.splice(0)) entries.stop();
  vi.useRealTimers();
  await store?.close();
});

async function replicas(count: number, overrides: Partial<EntriesOptions> = {}): Promise<CacheEntries[]> {
  store = await openStore('memory', silentLogger);
  const all = Array.from({ length: count }, () => new CacheEntries(store.kv('cache'), store.counters, { ...options, ...overrides }, listener, silentLogger));
  opened.push(...all);
  await Promise.all(all.map((entries) => entries.start()));
  return all;
}

function entryFor(key: string, model = 'mock/m'): { entry: CacheEntry; meta: EntryMeta } {
  const createdAt = Date.now();
  const expiresAt = createdAt + 3_600_000;
  return {
    entry: { v: 1, operation: 'chat', createdAt, expiresAt, model, scope: 'global' },
    meta: { key, scope: 'global', model, owner: null, bytes: 10, createdAt, expiresAt },
  };
}

/** A writer that has drawn its number and not stored its record yet; `store()` stores it. */
async function drawn(): Promise<{ seq: number; store(record: unknown): Promise<void> }> {
  const seq = await store.counters.next(SEQ);
  const log = store.kv<Record<string, unknown>>('cache');
  return { seq, store: async (record) => void (await log.set(`log:${seq}`, record)) };
}

const known = (entries: CacheEntries) => [...entries.alive()].map((meta) => meta.key).sort();

describe('the cache log, read by another replica', () => {
  it('reads a record whose number it saw before the record was stored', async () => {
    const [, reader] = await replicas(2);
    const writer = await drawn();
    await reader!.sync();
    expect(known(reader!)).toEqual([]);
    await writer.store({ op: 'add', meta: entryFor('late').meta });
    await reader!.sync();
    expect(known(reader!)).toEqual(['late']);
  });

  it('reads what comes after a gap at once, and stops looking for the gap after a while', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    const [writer, reader] = await replicas(2);
    await drawn(); // never stored
    const { entry, meta } = entryFor('after-gap');
    await writer!.put(entry, meta);
    const log = store.kv('cache');
    const get = vi.spyOn(log, 'get');
    await reader!.sync();
    expect(known(reader!)).toEqual(['after-gap']);
    const gapReads = () => get.mock.calls.filter(([key]) => key === 'log:1').length;
    expect(gapReads()).toBe(1);
    await reader!.sync();
    expect(gapReads()).toBe(2);
    // Past the writer's bound on the store and a few reads: a gap, not looked for again.
    vi.setSystemTime(Date.now() + 4 * options.syncIntervalMs);
    await reader!.sync();
    await reader!.sync();
    expect(gapReads()).toBe(2);
  });

  it('keeps out a late add that a clear numbered after it covers', async () => {
    const [clearer, reader] = await replicas(2);
    const writer = await drawn();
    const { meta } = entryFor('cleared');
    await clearer!.clear({ model: 'mock/m' });
    await reader!.sync();
    await writer.store({ op: 'add', meta });
    await reader!.sync();
    expect(known(reader!)).toEqual([]);
    // One the clear does not cover (another model) still comes in late.
    const other = await drawn();
    await clearer!.clear({ model: 'mock/m' });
    await reader!.sync();
    await other.store({ op: 'add', meta: { ...entryFor('kept', 'mock/other').meta } });
    await reader!.sync();
    expect(known(reader!)).toEqual(['kept']);
  });

  it('an entry whose record the store did not take in time is logged at a later sync', async () => {
    const [writer, reader] = await replicas(2);
    const next = vi.spyOn(store.counters, 'next').mockRejectedValueOnce(Object.assign(new Error('no answer in time'), { code: 'store_unavailable' }));
    const { entry, meta } = entryFor('unlogged');
    await expect(writer!.put(entry, meta)).rejects.toThrow('no answer in time');
    await reader!.sync();
    expect(known(reader!)).toEqual([]);
    next.mockRestore();
    await writer!.sync();
    await reader!.sync();
    expect(known(reader!)).toEqual(['unlogged']);
  });

  it('after a crash that left the counter behind the last records (SQLite saves it a second behind), reads them and writes new records past them', async () => {
    const [writer] = await replicas(1);
    for (const key of ['a', 'b', 'c']) await writer!.put(entryFor(key).entry, entryFor(key).meta);
    // The counter as SQLite restores it after a crash: saved before the last two records.
    await store.counters.add(SEQ, -2);
    const restarted = new CacheEntries(store.kv('cache'), store.counters, options, listener, silentLogger);
    opened.push(restarted);
    await restarted.start();
    expect(known(restarted)).toEqual(['a', 'b', 'c']);
    await restarted.put(entryFor('d').entry, entryFor('d').meta);
    const reader = new CacheEntries(store.kv('cache'), store.counters, options, listener, silentLogger);
    opened.push(reader);
    await reader.start();
    expect(known(reader)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('a replica further behind than its view holds reads only the newest records, as at start', async () => {
    const [writer, reader] = await replicas(2, { maxEntries: 3 });
    for (let i = 1; i <= 10; i++) {
      const { entry, meta } = entryFor(`k${String(i).padStart(2, '0')}`);
      await writer!.put(entry, meta);
    }
    const get = vi.spyOn(store.kv('cache'), 'get');
    await reader!.sync();
    expect(known(reader!)).toEqual(['k08', 'k09', 'k10']);
    expect(get.mock.calls.filter(([key]) => String(key).startsWith('log:'))).toHaveLength(3);
  });
});
