/**
 * Clears as a rule every lookup obeys (plugins/cache/clears.ts), the log kept to its newest
 * records, and the log applied in slices.
 *
 * Before their fix (a review of the cache at scale): a clear deleted only what the clearing
 * replica's view listed, and a view lists only the log's newest `maxEntries` records after a
 * restart, so an entry older than those (kept hot by hits, or left above a lowered `maxEntries`)
 * was never deleted and stayed a hit after `DELETE /v1/cache` answered; so did a clear's entries
 * whose deletes the store did not take. A clear whose log record the store did not take answered a
 * plain 500 and the other replicas never heard of it. Every log record lived for the whole TTL, so
 * a cap of twenty entries held 600 records (5 MB of vectors) after 600 answers. And the log's
 * records were applied 200 at a time without a turn for the event loop (each may index a vector:
 * 100–200 ms at a time at start).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../../core/logger.js';
import { openStore, type Store } from '../../../core/store/store.js';
import { Clears, MAX_KEPT } from '../../../plugins/cache/clears.js';
import { CacheEntries, type EntriesOptions, type EntryListener, type EntryMeta } from '../../../plugins/cache/entries.js';
import type { CacheEntry } from '../../../plugins/cache/entry.js';

const options: EntriesOptions = { maxEntries: 100, maxBytes: 1_000_000, storeTimeoutMs: 250, syncIntervalMs: 60_000, logTtlMs: 3_600_000 };
const quiet: EntryListener = { added: () => undefined, removed: () => undefined };

const opened: CacheEntries[] = [];
let store: Store;
afterEach(async () => {
  for (const entries of opened.splice(0)) entries.stop();
  vi.restoreAllMocks();
  await store?.close();
});

async function replica(overrides: Partial<EntriesOptions> = {}, listener = quiet): Promise<CacheEntries> {
  store ??= await openStore('memory', silentLogger);
  const entries = new CacheEntries(store.kv('cache'), store.counters, { ...options, ...overrides }, listener, silentLogger);
  opened.push(entries);
  await entries.start();
  return entries;
}

function entryFor(key: string, { model = 'mock/m', owner = null as string | null, createdAt = Date.now() } = {}): { entry: CacheEntry; meta: EntryMeta } {
  const expiresAt = createdAt + 3_600_000;
  return {
    entry: { v: 1, operation: 'chat', createdAt, expiresAt, model, scope: 'global', owner },
    meta: { key, scope: 'global', model, owner, bytes: 10, createdAt, expiresAt },
  };
}

async function put(entries: CacheEntries, key: string, more: Parameters<typeof entryFor>[1] = {}): Promise<void> {
  const { entry, meta } = entryFor(key, more);
  await entries.put(entry, meta);
}

const storedKeys = (part: string) => [...(store.kv('cache') as unknown as { store: Map<string, unknown> }).store.keys()].filter((key) => key.includes(`:${part}:`));

describe('a clear every lookup obeys', () => {
  it('takes an entry no view lists: one older than the log a restarted replica read', async () => {
    store = await openStore('memory', silentLogger);
    const before = await replica();
    await put(before, 'old');
    for (let i = 0; i < 5; i++) await put(before, `new ${i}`);
    before.stop();
    // Restarted with a lower cap: its view is the log's newest two records.
    const restarted = await replica({ maxEntries: 2 });
    expect([...restarted.alive()].map((m) => m.key)).not.toContain('old');
    expect(await restarted.get('old')).toBeDefined();
    await restarted.clear({});
    expect(await restarted.get('old'), 'an entry the clear did not list is a miss after it').toBeUndefined();
    // And on a replica started after the clear.
    expect(await (await replica()).get('old')).toBeUndefined();
    // An answer stored after the clear is a hit (a clear takes what was made at its millisecond too).
    await new Promise((resolve) => setTimeout(resolve, 2));
    await put(restarted, 'old');
    expect(await restarted.get('old')).toBeDefined();
  });

  it('takes entries whose deletes the store did not take', async () => {
    store = await openStore('memory', silentLogger);
    const entries = await replica();
    for (let i = 0; i < 3; i++) await put(entries, `kept ${i}`);
    vi.spyOn(store.kv('cache'), 'deleteMany').mockRejectedValue(new Error('connection lost'));
    expect(await entries.clear({})).toBe(3);
    for (let i = 0; i < 3; i++) expect(await entries.get(`kept ${i}`)).toBeUndefined();
  });

  it('refuses a clear the store does not take with a retryable 503, and changes nothing', async () => {
    store = await openStore('memory', silentLogger);
    const entries = await replica();
    await put(entries, 'kept');
    vi.spyOn(store.counters, 'next').mockRejectedValueOnce(new Error('no answer within 250 ms'));
    await expect(entries.clear({})).rejects.toMatchObject({ status: 503, code: 'store_unavailable', retryable: true });
    expect(await entries.get('kept')).toBeDefined();
    expect([...entries.alive()].map((m) => m.key)).toEqual(['kept']);
    expect(await entries.clear({})).toBe(1);
    expect(await entries.get('kept')).toBeUndefined();
  });

  it("reaches another replica's view and lookups when the clear's log record was not stored", async () => {
    store = await openStore('memory', silentLogger);
    const [writer, other] = [await replica(), await replica()];
    await put(writer, 'a');
    await other.sync();
    expect([...other.alive()].map((m) => m.key)).toEqual(['a']);
    const kv = store.kv('cache');
    const set = kv.set.bind(kv);
    vi.spyOn(kv, 'set').mockImplementation((key, value, ttl) => (String(key).startsWith('log:') ? Promise.reject(new Error('no answer')) : set(key, value, ttl)));
    expect(await writer.clear({})).toBe(1);
    vi.restoreAllMocks();
    await other.sync();
    expect([...other.alive()]).toEqual([]);
    expect(await other.get('a')).toBeUndefined();
  });

  it('takes only what its filter names, made before it', async () => {
    store = await openStore('memory', silentLogger);
    const entries = await replica();
    const longAgo = Date.now() - 2_400_000;
    await put(entries, 'gpt of alice', { model: 'openai/gpt-4o', owner: 'alice' });
    await put(entries, 'gpt of bob', { model: 'openai/gpt-4o', owner: 'bob' });
    await put(entries, 'claude of alice', { model: 'anthropic/claude', owner: 'alice' });
    await put(entries, 'old claude', { model: 'anthropic/claude', owner: 'bob', createdAt: longAgo });
    await entries.clear({ keyId: 'alice', model: 'gpt-4o' });
    await entries.clear({ olderThanSeconds: 1800 });
    expect(await entries.get('gpt of alice')).toBeUndefined();
    expect(await entries.get('old claude')).toBeUndefined();
    expect(await entries.get('gpt of bob')).toBeDefined();
    expect(await entries.get('claude of alice')).toBeDefined();
  });
});

describe('Clears, bounded', () => {
  it(`keeps the newest ${MAX_KEPT} clears, and takes everything made before an older one`, async () => {
    store = await openStore('memory', silentLogger);
    const clears = new Clears(store.kv('cache'), store.counters, { storeTimeoutMs: 250, ttlMs: 3_600_000 });
    await clears.readNew();
    const start = Date.now() - 10_000;
    for (let i = 0; i <= MAX_KEPT; i++) await clears.record({ keyId: `key-${i}` }, start + i);
    // The first clear (of key-0's entries) is folded in: whatever was made before it is cleared.
    expect(clears.covers({ createdAt: start - 1, model: 'm', owner: 'someone else' })).toBe(true);
    expect(clears.covers({ createdAt: start + 0.5, model: 'm', owner: 'someone else' })).toBe(false);
    expect(clears.covers({ createdAt: start + 50, model: 'm', owner: 'key-60' })).toBe(true);
    // A replica that reads them anew agrees.
    const reader = new Clears(store.kv('cache'), store.counters, { storeTimeoutMs: 250, ttlMs: 3_600_000 });
    await reader.readNew();
    expect(reader.covers({ createdAt: start + 50, model: 'm', owner: 'key-60' })).toBe(true);
    expect(reader.covers({ createdAt: start + 0.5, model: 'm', owner: 'someone else' })).toBe(false);
    expect(reader.covers({ createdAt: start - 1, model: 'm', owner: 'someone else' })).toBe(true);
  });

  it('reads clears stored past a counter a crash left behind, and numbers the next one after them', async () => {
    store = await openStore('memory', silentLogger);
    const kv = store.kv<Record<string, unknown>>('cache');
    await kv.set('clear:1', { filter: {}, at: Date.now() - 5 });
    const clears = new Clears(store.kv('cache'), store.counters, { storeTimeoutMs: 250, ttlMs: 3_600_000 });
    await clears.readNew();
    expect(clears.covers({ createdAt: Date.now() - 10, model: 'm' })).toBe(true);
    await clears.record({ model: 'x' }, Date.now());
    expect(await kv.get('clear:1')).toMatchObject({ filter: {} });
    expect(await kv.get('clear:2')).toMatchObject({ filter: { model: 'x' } });
  });
});

describe('the log', () => {
  it('keeps its newest records, twice the cap, however many answers were stored', async () => {
    store = await openStore('memory', silentLogger);
    const entries = await replica({ maxEntries: 20 });
    for (let i = 0; i < 600; i++) await put(entries, `answer ${i}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(storedKeys('e')).toHaveLength(20);
    expect(storedKeys('log').length, 'log records held').toBeLessThanOrEqual(2 * 20 + 20);
    // What a replica starting now reads is there.
    const late = await replica({ maxEntries: 20 });
    expect([...late.alive()]).toHaveLength(20);
  });

  it('is applied in slices, the event loop getting turns between them', async () => {
    store = await openStore('memory', silentLogger);
    const writer = await replica({ maxEntries: 1000 });
    for (let i = 0; i < 300; i++) await put(writer, `answer ${i}`);
    // Each entry made known costs a millisecond of main-thread work (indexing a large vector).
    const slow: EntryListener = { added: () => void spin(1), removed: () => undefined };
    let turns = 0;
    let counting = true;
    const count = () => {
      if (!counting) return;
      turns++;
      setImmediate(count);
    };
    setImmediate(count);
    await replica({ maxEntries: 1000 }, slow);
    counting = false;
    // 300 ms of work in slices of about 8 ms: dozens of turns (before: the 300 records in two runs).
    expect(turns).toBeGreaterThanOrEqual(15);
  });
});

function spin(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

describe('a view', () => {
  // Before: a replica's view kept listing (and its stats counting) an entry another replica had
  // evicted from the store, until its own eviction or the entry's TTL.
  it('lets go of an entry a lookup finds gone from the store', async () => {
    store = await openStore('memory', silentLogger);
    const [writer, other] = [await replica(), await replica()];
    await put(writer, 'evicted elsewhere');
    await other.sync();
    expect([...other.alive()].map((m) => m.key)).toEqual(['evicted elsewhere']);
    await store.kv('cache').delete('e:evicted elsewhere');
    expect(await other.get('evicted elsewhere')).toBeUndefined();
    expect([...other.alive()]).toEqual([]);
  });
});
