/**
 * Changes to keys made at the same time (a provisioning script creating keys in parallel through
 * the admin API, a revocation in the dashboard while a script updates the key, two admins changing
 * one key on two replicas): none is lost. On the memory store, on SQLite (also with `llm-gateway
 * keys` writing beside a running gateway), and on a real Redis shared by two replicas (REDIS_URL).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../core/logger.js';
import { openStore, type Store, type TypedKv } from '../../../core/store/store.js';
import { exclusively, LocalLeases } from '../../../core/store/exclusive.js';
import { KeyStore, keyStateOf, type KeyPatch, type KeyRecords } from '../../../plugins/auth/keys.js';
import { ownRedisDatabase } from '../../support/redis-databases.js';

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
      const keys = new KeyStore(keyStateOf(store), 0);
      const created = await Promise.all(Array.from({ length: 20 }, (_, i) => keys.create({ name: `parallel-${i}` })));
      const listed = new Set((await keys.list()).map((key) => key.id));
      expect(created.filter(({ key }) => !listed.has(key.id)).map(({ key }) => key.name)).toEqual([]);
    });
  });

  it('lists a few hundred keys reading at most a hundred records at once (the requests share the store)', async () => {
    await withStore(url(), async (store) => {
      const state = keyStateOf(store);
      const keys = new KeyStore(state, 0);
      for (let i = 0; i < 250; i++) await keys.create({ name: `many-${i}` });
      const get = state.kv.get.bind(state.kv);
      let reading = 0;
      let most = 0;
      state.kv.get = (async (key: never) => {
        most = Math.max(most, ++reading);
        try {
          return await get(key);
        } finally {
          reading--;
        }
      }) as typeof state.kv.get;
      const listed = await new KeyStore(state, 0).list();
      expect(listed.filter((key) => key.name.startsWith('many-'))).toHaveLength(250);
      // A batch of 100, and beside the first the legacy index and the slots past the counter.
      expect(most).toBeLessThanOrEqual(110);
      expect(most).toBeGreaterThan(50);
    });
  });

  it('two updates of one key at the same moment both land, however slowly the store answers', async () => {
    await withStore(url(), async (store) => {
      const { key } = await new KeyStore(keyStateOf(store), 0).create({ name: 'contested' });
      // Two replicas' stores, each answering a few ms late: without turns, both would read the key
      // before either wrote it, and the later write would drop the other's change.
      const replicas = [0, 1].map(() => new KeyStore({ ...keyStateOf(store), kv: slowed(store.kv<KeyRecords>('keys'), 5) }, 0));
      await Promise.all([replicas[0]!.update(key.id, { limits: { rpm: 60 } }), replicas[1]!.update(key.id, { budget: { dailyUsd: 5 } }), replicas[0]!.update(key.id, { team: 'search' })]);
      expect(await replicas[1]!.get(key.id)).toMatchObject({ name: 'contested', limits: { rpm: 60 }, budget: { dailyUsd: 5 }, team: 'search', status: 'active' });
    });
  });

  it('a revocation is not undone by an update made at the same moment', async () => {
    await withStore(url(), async (store) => {
      const keys = new KeyStore(keyStateOf(store), 0);
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
      const gateway = new KeyStore(keyStateOf(gatewayStore), 0);
      const cli = new KeyStore(keyStateOf(cliStore), 0);
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

  it('on SQLite, `llm-gateway keys` and the gateway changing one key at once: both changes land', async () => {
    const url = `sqlite://${join(dir, 'one-key-two-processes.sqlite')}`;
    const gatewayStore = await openStore(url, silentLogger);
    const cliStore = await openStore(url, silentLogger, { saveCounters: false });
    try {
      const { key } = await new KeyStore(keyStateOf(gatewayStore), 0).create({ name: 'contested' });
      // Each process on its own connection, each answered a few ms late: the lease is in the file.
      const [gateway, cli] = [gatewayStore, cliStore].map((store) => new KeyStore({ ...keyStateOf(store), kv: slowed(store.kv<KeyRecords>('keys'), 5) }, 0));
      await Promise.all([gateway!.update(key.id, { limits: { rpm: 60 } }), cli!.update(key.id, { budget: { dailyUsd: 5 } }), gateway!.update(key.id, { team: 'search' })]);
      expect(await cli!.get(key.id)).toMatchObject({ limits: { rpm: 60 }, budget: { dailyUsd: 5 }, team: 'search', status: 'active' });
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
    await new KeyStore(keyStateOf(cliStore), 0).create({ name: 'from-the-cli' });
    await cliStore.close();
    await gatewayStore.close();
    await withStore(url, async (reopened) => {
      expect(await reopened.counters.get('budget:spent')).toBe(5);
    });
  });

  it('lists keys created before slots, from the old index', async () => {
    await withStore('memory', async (store) => {
      const kv = store.kv<KeyRecords>('keys');
      const keys = new KeyStore({ ...keyStateOf(store), kv }, 0);
      const { key } = await keys.create({ name: 'old' });
      // As an earlier version left it: the id in the index, no slot.
      await kv.delete('slot:1');
      await kv.set('index', [key.id]);
      const { key: added } = await keys.create({ name: 'new' });
      expect((await keys.list()).map((k) => k.name).sort()).toEqual(['new', 'old']);
      expect(added.id).not.toBe(key.id);
    });
  });

  it('a revocation is not undone by an update from a replica that takes no lease (an earlier version, during a rolling upgrade)', async () => {
    await withStore('memory', async (store) => {
      const shared = store.kv<KeyRecords>('keys');
      const one = new KeyStore(keyStateOf(store), 0);
      const { key, secret } = await one.create({ name: 'contested' });
      // Replica two reads the key, and its write reaches the store only after replica one revoked it.
      const revoked = deferred();
      const two = new KeyStore({ ...keyStateOf(store), kv: holding(shared, 'id:', revoked.promise), exclusive: unexcluded() }, 0);
      const update = two.update(key.id, { name: 'renamed' });
      await one.revoke(key.id);
      revoked.resolve();
      await update;
      expect(await one.get(key.id)).toMatchObject({ name: 'renamed', status: 'revoked' });
      expect((await one.find(secret))?.revokedAt).toBeDefined();
    });
  });

  it('nor by an update such a replica makes while the revocation is under way', async () => {
    await withStore('memory', async (store) => {
      const shared = store.kv<KeyRecords>('keys');
      const two = new KeyStore(keyStateOf(store), 0);
      const { key } = await two.create({ name: 'contested' });
      // Replica one has read the key; the whole update happens before it writes.
      const updated = deferred();
      const one = new KeyStore({ ...keyStateOf(store), kv: holding(shared, 'revoked:', updated.promise), exclusive: unexcluded() }, 0);
      const revocation = one.revoke(key.id);
      await two.update(key.id, { name: 'renamed' });
      updated.resolve();
      await revocation;
      expect(await two.get(key.id)).toMatchObject({ name: 'renamed', status: 'revoked' });
    });
  });

  it.skipIf(!REDIS_URL)('on Redis, two replicas creating keys at once: every key listed on both', async () => {
    // A database of its own, emptied first: the list is every key in the store.
    const url = ownRedisDatabase(REDIS_URL!, 'keyChangesOnTwoReplicas');
    const admin = createClient({ url });
    await admin.connect();
    await admin.flushDb();
    await admin.quit();
    const stores: Store[] = [await openStore(url, silentLogger), await openStore(url, silentLogger)];
    try {
      const replicas = stores.map((store) => new KeyStore(keyStateOf(store), 0));
      const created = await Promise.all(Array.from({ length: 40 }, (_, i) => replicas[i % 2]!.create({ name: `replica-${i % 2}-${i}` })));
      const ids = created.map(({ key }) => key.id).sort();
      for (const replica of replicas) expect((await replica.list()).map((key) => key.id).sort()).toEqual(ids);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });

  it.skipIf(!REDIS_URL)('on Redis, two replicas changing one key at once: every change lands, and a revocation holds', async () => {
    const stores: Store[] = [await openStore(REDIS_URL!, silentLogger), await openStore(REDIS_URL!, silentLogger)];
    try {
      const replicas = stores.map((store) => new KeyStore(keyStateOf(store), 0));
      const { key, secret } = await replicas[0]!.create({ name: 'contested' });
      const patches: KeyPatch[] = [{ name: 'renamed' }, { team: 'search' }, { models: ['mock/*'] }, { limits: { rpm: 60 } }, { budget: { dailyUsd: 5 } }, { metadata: { owner: 'ops' } }, { expiresAt: '2099-01-01T00:00:00.000Z' }];
      await Promise.all([...patches.map((patch, i) => replicas[i % 2]!.update(key.id, patch)), replicas[1]!.revoke(key.id)]);
      const expected = { ...Object.assign({}, ...patches), status: 'revoked' };
      for (const replica of replicas) expect(await replica.get(key.id)).toMatchObject(expected);
      expect((await replicas[0]!.find(secret))?.revokedAt).toBeDefined();
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

/** Leases of its own, which exclude no one else: a replica that takes none. */
function unexcluded(): Store['exclusive'] {
  const leases = new LocalLeases();
  return (name, work) => exclusively(leases, name, work);
}

/** The same records, each call answered `ms` late (a store further away). */
function slowed(kv: TypedKv<KeyRecords>, ms: number): TypedKv<KeyRecords> {
  const late = <T>(call: () => Promise<T>) => new Promise((resolve) => setTimeout(resolve, ms)).then(call);
  return {
    get: (key) => late(() => kv.get(key)),
    set: (key, value, ttlMs) => late(() => kv.set(key, value, ttlMs)),
    delete: (key) => late(() => kv.delete(key)),
    deleteMany: (keys) => late(() => kv.deleteMany(keys)),
  };
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
    deleteMany: (keys) => kv.deleteMany(keys),
  };
}
