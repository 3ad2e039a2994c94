/**
 * Changes to keys made at the same time (a provisioning script creating keys in parallel through
 * the admin API, a revocation in the dashboard while a script updates the key): none is lost. On
 * the memory store, on SQLite (also with `llm-gateway keys` writing beside a running gateway), and
 * on a real Redis shared by two replicas (REDIS_URL).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../core/logger.js';
import { openStore, type Store, type TypedKv } from '../../../core/store/store.js';
import { KeyStore, type KeyRecords } from '../../../plugins/auth/keys.js';

const REDIS_URL = process.env.REDIS_URL;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'key-changes-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const stores = [['memory', () => 'memory'] as const, ['sqlite', () => `sqlite://${join(dir, 'gateway.sqlite')}`] as const];

describe.each(stores)('key changes at the same time (%s)', (_name, url) => {
  it('lists every key of a burst of creations', async () => {
    await withStore(url(), async (store) => {
      const keys = new KeyStore(store.kv('keys'), store.counters, 0);
      const created = await Promise.all(Array.from({ length: 20 }, (_, i) => keys.create({ name: `parallel-${i}` })));
      const listed = new Set((await keys.list()).map((key) => key.id));
      expect(created.filter(({ key }) => !listed.has(key.id)).map(({ key }) => key.name)).toEqual([]);
    });
  });

  it('a revocation is not undone by an update made at the same moment', async () => {
    await withStore(url(), async (store) => {
      const keys = new KeyStore(store.kv('keys'), store.counters, 0);
      const { key, secret } = await keys.create({ name: 'contested' });
      const [revoked] = await Promise.all([keys.revoke(key.id), keys.update(key.id, { name: 'renamed' })]);
      expect(revoked?.status).toBe('revoked');
      expect((await keys.get(key.id))?.status).toBe('revoked');
      expect((await keys.find(secret))?.revokedAt).toBeDefined();
    });
  });
});

describe('keys written by two processes', () => {
  it('on SQLite, `llm-gateway keys` beside a running gateway: neither overwrites the other\'s place in the list', async () => {
    const url = `sqlite://${join(dir, 'two-processes.sqlite')}`;
    const gatewayStore = await openStore(url, silentLogger);
    const cliStore = await openStore(url, silentLogger, { saveCounters: false });
    try {
      const gateway = new KeyStore(gatewayStore.kv('keys'), gatewayStore.counters, 0);
      const cli = new KeyStore(cliStore.kv('keys'), cliStore.counters, 0);
      // The gateway's counters are in its memory, saved behind: the CLI counts from what was saved.
      const first = await gateway.create({ name: 'from-the-dashboard' });
      const second = await cli.create({ name: 'from-the-cli' });
      const third = await gateway.create({ name: 'from-the-dashboard-again' });
      const ids = [first, second, third].map(({ key }) => key.id).sort();
      expect((await gateway.list()).map((key) => key.id).sort()).toEqual(ids);
      expect((await cli.list()).map((key) => key.id).sort()).toEqual(ids);
    } finally {
      await Promise.all([gatewayStore.close(), cliStore.close()]);
    }
  });

  it('on SQLite, `llm-gateway keys` never writes back the counters it read: what the gateway counted meanwhile stays', async () => {
    const url = `sqlite://${join(dir, 'counts-kept.sqlite')}`;
    const gatewayStore = await openStore(url, silentLogger);
    const cliStore = await openStore(url, silentLogger, { saveCounters: false });
    await gatewayStore.counters.add('budget:spent', 5);
    // The gateway saves its counters every second: 5 is in the file before the command closes.
    await new Promise((resolve) => setTimeout(resolve, 1200));
    await new KeyStore(cliStore.kv('keys'), cliStore.counters, 0).create({ name: 'from-the-cli' });
    await cliStore.close();
    await gatewayStore.close();
    await withStore(url, async (reopened) => {
      expect(await reopened.counters.get('budget:spent')).toBe(5);
    });
  });

  it('lists keys created before slots, from the old index', async () => {
    await withStore('memory', async (store) => {
      const kv = store.kv<KeyRecords>('keys');
      const keys = new KeyStore(kv, store.counters, 0);
      const { key } = await keys.create({ name: 'old' });
      // As an earlier version left it: the id in the index, no slot.
      await kv.delete('slot:1');
      await kv.set('index', [key.id]);
      const { key: added } = await keys.create({ name: 'new' });
      expect((await keys.list()).map((k) => k.name).sort()).toEqual(['new', 'old']);
      expect(added.id).not.toBe(key.id);
    });
  });

  it('a revocation on one replica is not undone by an update another replica makes at the same moment', async () => {
    await withStore('memory', async (store) => {
      const shared = store.kv<KeyRecords>('keys');
      const one = new KeyStore(shared, store.counters, 0);
      const { key, secret } = await one.create({ name: 'contested' });
      // Replica two reads the key, and its write reaches the store only after replica one revoked it.
      const revoked = deferred();
      const two = new KeyStore(holding(shared, 'id:', revoked.promise), store.counters, 0);
      const update = two.update(key.id, { name: 'renamed' });
      await one.revoke(key.id);
      revoked.resolve();
      await update;
      expect(await one.get(key.id)).toMatchObject({ name: 'renamed', status: 'revoked' });
      expect((await one.find(secret))?.revokedAt).toBeDefined();
    });
  });

  it('nor is an update another replica makes while the revocation is under way', async () => {
    await withStore('memory', async (store) => {
      const shared = store.kv<KeyRecords>('keys');
      const two = new KeyStore(shared, store.counters, 0);
      const { key } = await two.create({ name: 'contested' });
      // Replica one has read the key; the whole update happens before it writes.
      const updated = deferred();
      const one = new KeyStore(holding(shared, 'revoked:', updated.promise), store.counters, 0);
      const revocation = one.revoke(key.id);
      await two.update(key.id, { name: 'renamed' });
      updated.resolve();
      await revocation;
      expect(await two.get(key.id)).toMatchObject({ name: 'renamed', status: 'revoked' });
    });
  });

  it.skipIf(!REDIS_URL)('on Redis, two replicas creating keys at once: every key listed on both', async () => {
    // A database of its own, emptied first: the list is every key in the store.
    const url = Object.assign(new URL(REDIS_URL!), { pathname: '/8' }).toString();
    const admin = createClient({ url });
    await admin.connect();
    await admin.flushDb();
    await admin.quit();
    const stores: Store[] = [await openStore(url, silentLogger), await openStore(url, silentLogger)];
    try {
      const replicas = stores.map((store) => new KeyStore(store.kv('keys'), store.counters, 0));
      const created = await Promise.all(Array.from({ length: 40 }, (_, i) => replicas[i % 2]!.create({ name: `replica-${i % 2}-${i}` })));
      const ids = created.map(({ key }) => key.id).sort();
      for (const replica of replicas) expect((await replica.list()).map((key) => key.id).sort()).toEqual(ids);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });
});

/** Opens a store, hands it over, and closes it whatever happens. */
async function withStore(url: string, use: (store: Store) => Promise<void>): Promise<void> {
  const store = await openStore(url, silentLogger);
  try {
    await use(store);
  } finally {
    await store.close();
  }
}

function deferred(): { promise: Promise<void>; resolve(): void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

/** The same records, with the writes of keys starting with `prefix` held until `until` settles. */
function holding(kv: TypedKv<KeyRecords>, prefix: string, until: Promise<void>): TypedKv<KeyRecords> {
  return {
    get: (key) => kv.get(key),
    set: async (key, value, ttlMs) => {
      if (key.startsWith(prefix)) await until;
      return kv.set(key, value, ttlMs);
    },
    delete: (key) => kv.delete(key),
  };
}
