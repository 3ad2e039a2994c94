/**
 * The state store on each backend: namespaces kept apart, records and counters surviving a
 * restart (SQLite), and counters that stay exact under concurrency, across two clients on Redis.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { silentLogger } from '../../../core/logger.js';
import { MemoryCounters } from '../../../core/store/memory-counters.js';
import { openStore, type Store } from '../../../core/store/store.js';
import { createClient } from 'redis';

const dir = mkdtempSync(join(tmpdir(), 'gw-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const REDIS_URL = process.env.REDIS_URL;
if (!REDIS_URL) console.warn('REDIS_URL is not set: the Redis store tests are skipped (.ci/run sets it).');

const backends: Array<[string, () => string, boolean]> = [
  ['memory', () => 'memory', true],
  ['sqlite', () => `sqlite://${join(dir, `s-${Math.random()}.sqlite`)}`, true],
  ['redis', () => REDIS_URL ?? '', Boolean(REDIS_URL)],
];

/**
 * Expiry and refill are the subject: memory and SQLite counters run on this process's clock, which
 * the test moves (Date, and performance for the counters' own clock, core/store/steady-now.ts);
 * Redis expires keys on its own clock, which only real time moves.
 */
function clockFor(backend: string): { advance(ms: number): Promise<void> } {
  if (backend === 'redis') return { advance: (ms) => new Promise((r) => setTimeout(r, ms)) };
  vi.useFakeTimers({ toFake: ['Date', 'performance'], shouldAdvanceTime: true });
  return { advance: async (ms) => void vi.advanceTimersByTime(ms) };
}
afterEach(() => void vi.useRealTimers());

describe.each(backends)('%s store', (_name, url, enabled) => {
  it.skipIf(!enabled)('keeps namespaces apart', async () => {
    const store = await openStore(url(), silentLogger);
    const run = `${Date.now()}-${Math.random()}`;
    await store.kv('a').set(`k-${run}`, { v: 1 });
    await store.kv('b').set(`k-${run}`, { v: 2 });
    expect(await store.kv('a').get(`k-${run}`)).toEqual({ v: 1 });
    expect(await store.kv('b').get(`k-${run}`)).toEqual({ v: 2 });
    await store.kv('a').delete(`k-${run}`);
    expect(await store.kv('a').get(`k-${run}`)).toBeUndefined();
    expect(await store.kv('b').get(`k-${run}`)).toEqual({ v: 2 });
    await store.close();
  });

  it.skipIf(!enabled)('adds exactly under concurrency, and expires windows', async () => {
    const clock = clockFor(_name);
    const store = await openStore(url(), silentLogger);
    const key = `c-${Date.now()}-${Math.random()}`;
    const totals = await Promise.all(Array.from({ length: 200 }, () => store.counters.add(key, 3, 60_000)));
    expect(await store.counters.get(key)).toBe(600);
    expect(new Set(totals).size).toBe(200);
    const ttl = await store.counters.ttl(key);
    expect(ttl).toBeGreaterThan(50_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
    await store.counters.add(`${key}-short`, 1, 30);
    await clock.advance(60);
    expect(await store.counters.get(`${key}-short`)).toBe(0);
    expect(await store.counters.ttl(`${key}-forever`)).toBeUndefined();
    await store.close();
  });

  it.skipIf(!enabled)('holds a count with `atLeast` at its floor, and keeps its TTL (requests in flight whose count expired)', async () => {
    const store = await openStore(url(), silentLogger);
    const key = `floor-${Date.now()}-${Math.random()}`;
    const renewedFloor = { renewTtl: true, atLeast: 0 } as const;
    expect(await store.counters.add(key, -1, 60_000, renewedFloor)).toBe(0);
    expect(await store.counters.add(key, -1, 60_000, renewedFloor)).toBe(0);
    expect(await store.counters.add(key, 1, 60_000, renewedFloor)).toBe(1);
    expect(await store.counters.get(key)).toBe(1);
    expect(await store.counters.ttl(key)).toBeGreaterThan(50_000);
    // Without a floor, a count goes where it is sent.
    expect(await store.counters.add(`${key}-free`, -2, 60_000)).toBe(-2);
    await store.close();
  });
});

describe.each(backends)('%s token bucket', (_name, url, enabled) => {
  it.skipIf(!enabled)('lets a burst through, then holds the refill rate', async () => {
    const clock = clockFor(_name);
    const store = await openStore(url(), silentLogger);
    const key = `bucket-${Date.now()}-${Math.random()}`;
    // 3 at once, then 20 per second.
    const burst = await Promise.all(Array.from({ length: 5 }, () => store.counters.takeFromBucket(key, 1, 3, 20)));
    expect(burst.filter((t) => t.allowed)).toHaveLength(3);
    const refused = burst.find((t) => !t.allowed)!;
    expect(refused.retryAfterMs).toBeGreaterThan(0);
    expect(refused.retryAfterMs).toBeLessThanOrEqual(50);
    await clock.advance(120);
    expect((await store.counters.takeFromBucket(key, 1, 3, 20)).allowed).toBe(true);
    await store.close();
  });
});

describe('sqlite persistence', () => {
  it('keeps records and counters across a restart', async () => {
    const url = `sqlite://${join(dir, 'nested', 'dir', 'gateway.sqlite')}`;
    const first = await openStore(url, silentLogger);
    await first.kv('keys').set('k1', { name: 'ci' });
    await first.counters.add('cursor', 5);
    await first.counters.add('window', 2, 60_000);
    await first.counters.add('gone', 1, 1);
    await first.close();

    const second = await openStore(url, silentLogger);
    expect(await second.kv('keys').get('k1')).toEqual({ name: 'ci' });
    expect(await second.counters.get('cursor')).toBe(5);
    expect(await second.counters.get('window')).toBe(2);
    expect(await second.counters.ttl('window')).toBeGreaterThan(0);
    expect(await second.counters.get('gone')).toBe(0);
    await second.close();
  });
});

describe.skipIf(!REDIS_URL)('redis shared by two replicas', () => {
  it('two stores on one Redis see one counter', async () => {
    const stores: Store[] = [await openStore(REDIS_URL!, silentLogger), await openStore(REDIS_URL!, silentLogger)];
    const key = `shared-${Date.now()}`;
    await Promise.all(Array.from({ length: 100 }, (_, i) => stores[i % 2]!.counters.add(key, 1, 10_000)));
    expect(await stores[0]!.counters.get(key)).toBe(100);
    expect(await stores[1]!.counters.get(key)).toBe(100);
    await Promise.all(stores.map((s) => s.close()));
  });

  it('two replicas drawing from one sequence never get the same number', async () => {
    const stores: Store[] = [await openStore(REDIS_URL!, silentLogger), await openStore(REDIS_URL!, silentLogger)];
    const key = `sequence-${Date.now()}-${Math.random()}`;
    const numbers = await Promise.all(Array.from({ length: 100 }, (_, i) => stores[i % 2]!.counters.next(key)));
    expect([...numbers].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    await Promise.all(stores.map((s) => s.close()));
  });

  it('keeps counting when Redis forgets its scripts (restart, SCRIPT FLUSH): they are sent again', async () => {
    const store = await openStore(REDIS_URL!, silentLogger);
    const admin = createClient({ url: REDIS_URL! });
    await admin.connect();
    try {
      const key = `flushed-${Date.now()}`;
      expect(await store.counters.add(key, 2, 10_000)).toBe(2);
      await admin.scriptFlush();
      expect(await store.counters.add(key, 3, 10_000)).toBe(5);
      // In Redis itself, not only in this process's fallback ledger.
      expect(await admin.get(`llm-gateway:counter:${key}`)).toBe('5');
      await admin.scriptFlush();
      expect((await store.counters.takeFromBucket(`${key}:bucket`, 1, 1, 1)).allowed).toBe(true);
      expect((await store.counters.takeFromBucket(`${key}:bucket`, 1, 1, 1)).allowed).toBe(false);
      expect(await admin.exists(`llm-gateway:counter:${key}:bucket`)).toBe(1);
    } finally {
      await admin.quit();
      await store.close();
    }
  });
});

describe('memory counters with a clock', () => {
  it('expires on the clock it is given', () => {
    let now = 1000;
    const counters = new MemoryCounters(() => now);
    counters.addNow('w', 1, 100);
    counters.addNow('w', 1, 100);
    expect(counters.getNow('w')).toBe(2);
    now = 1099;
    expect(counters.getNow('w')).toBe(2);
    now = 1100;
    expect(counters.getNow('w')).toBe(0);
    expect(counters.addNow('w', 1, 100)).toBe(1);
    void counters.close();
  });
});
