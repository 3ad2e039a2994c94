/**
 * The gateway's state store: a key-value layer (Keyv) for records such as gateway keys, and
 * atomic counters for limits, budgets and cursors. One config line picks the backend:
 *
 * - `memory`: nothing persists (tests, throwaway runs); expired records are swept every minute;
 * - `sqlite://data/gateway.sqlite` (the default): one file, created on first start; counters live
 *   in memory and are saved behind the requests, never awaited on the hot path (one SQLite write
 *   costs about 0.5 ms, more than a whole request's budget);
 * - `redis://host:6379`: shared by every replica; each counter update is one atomic Redis call.
 *
 * Plugins reach it as `host.store`.
 */
import { mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type KeyvSqlite from '@keyv/sqlite';
import Keyv, { type KeyvStoreAdapter } from 'keyv';
import type { Logger } from '../logger.js';
import { maskUrlPasswords } from '../mask-urls.js';
import type { Counters } from './counters.js';
import { MemoryCounters } from './memory-counters.js';
import { persistBehind, restoreCounters } from './persist-behind.js';
import { BoundedCounters } from './bounded-counters.js';
import { withinMs } from './within-ms.js';
import { exclusively, LocalLeases, RedisLeases, SqliteLeases, type Leases } from './exclusive.js';
import { connectRedis } from './redis-connect.js';
import { watchRedisLiveness } from './redis-liveness.js';
import { persistenceWarnings, watchForDataLoss } from './redis-data-loss.js';
import { RedisCounters } from './redis-counters.js';
import { sweepExpired } from './sqlite-expiry.js';
import { ownStoreFile, type OwnerOptions, type Ownership } from './sqlite-owner.js';
import { ExpiringMap, sweepMemory } from './memory-expiry.js';

export type StoreKind = 'memory' | 'sqlite' | 'redis';

export interface Store {
  readonly kind: StoreKind;
  /**
   * A key-value namespace of its own for one plugin or purpose, typed by the shape of what it
   * holds: keys may be patterns, so one namespace can hold several kinds of record.
   * @example
   * const keys = host.store.kv<{ index: string[]; [id: `id:${string}`]: GatewayKey }>('keys');
   * const key = await keys.get(`id:${id}`); // GatewayKey | undefined
   */
  kv<Shape extends object = Record<string, unknown>>(namespace: string): TypedKv<Shape>;
  readonly counters: Counters;
  /**
   * Runs `work` while no other process sharing the store runs work under the same `name`: for a read-modify-write
   * of one record (Keyv has no compare-and-set, so two at once would end as the later write).
   * Waits for another's work at most 5 s, then throws a retryable 503 (`change_in_progress`).
   * @example
   * await host.store.exclusive(`keys:${id}`, async () => keys.set(`id:${id}`, change(await keys.get(`id:${id}`))));
   */
  exclusive<T>(name: string, work: () => Promise<T>): Promise<T>;
  /**
   * How many times this process saw the store lose data (Redis flushed, restarted empty or restored
   * from an older snapshot: redis-data-loss.ts); none on a store of this process's own. A reader that
   * follows a log or a version kept in the store reads it anew when this changes.
   */
  readonly dataLosses?: number;
  /** How the store will lose data, found as it opened (a Redis that keeps nothing on disk): `start` logs these, `check` prints them. */
  readonly warnings?: readonly string[];
  close(): Promise<void>;
}

/** A typed view of a Keyv namespace: each key's value has the type its shape gives it. */
export interface TypedKv<Shape extends object> {
  get<K extends keyof Shape & string>(key: K): Promise<Shape[K] | undefined>;
  /** `ttlMs`: the value expires that much later; without it, it lives until deleted. */
  set<K extends keyof Shape & string>(key: K, value: Shape[K], ttlMs?: number): Promise<boolean>;
  delete(key: keyof Shape & string): Promise<boolean>;
  /** Deletes them all in one call to the store (one statement on SQLite, one DEL on Redis). */
  deleteMany(keys: ReadonlyArray<keyof Shape & string>): Promise<boolean>;
}


export interface OpenStoreOptions {
  /**
   * SQLite only: save this process's counters into the file (the default). A short-lived command
   * beside a running gateway (`llm-gateway keys`) passes false and only reads them: its save would
   * write every counter as it read them, putting back what the gateway has counted since.
   * A store that saves them holds the file while open: a second one waits for it, then refuses
   * to open (sqlite-owner.ts).
   */
  saveCounters?: boolean;
  /** SQLite only: how long a store that saves counters waits for another's hold on the file (15 s). */
  ownerWaitMs?: number;
  /** Redis only: how long the first connect may take before the store fails to open (10 s). */
  connectWithinMs?: number;
}

export async function openStore(url: string, logger: Logger, options: OpenStoreOptions = {}): Promise<Store> {
  if (url === 'memory') return memoryStore();
  if (url.startsWith('sqlite://')) return sqliteStore(url.slice('sqlite://'.length), logger, options.saveCounters ?? true, { ...(options.ownerWaitMs !== undefined ? { waitMs: options.ownerWaitMs } : {}) });
  if (url.startsWith('redis://') || url.startsWith('rediss://')) return redisStore(url, logger, options.connectWithinMs);
  throw new Error(`store must be 'memory', 'sqlite://<file>' or 'redis://<host>:<port>' (found '${maskUrlPasswords(url)}')`);
}

function memoryStore(): Store {
  const namespaces = new Map<string, Keyv>();
  // Keyv's own Map store, one a namespace, that also notes each entry's expiry for the sweep.
  const maps: ExpiringMap[] = [];
  const expiry = sweepMemory(() => maps);
  const counters = new MemoryCounters();
  const keyv = (namespace: string) => {
    const map = new ExpiringMap();
    maps.push(map);
    return new Keyv({ store: map, namespace });
  };
  return {
    kind: 'memory',
    kv: (namespace: string) => typed(cached(namespaces, namespace, () => keyv(namespace))),
    counters,
    exclusive: exclusiveOn(new LocalLeases()),
    async close() {
      expiry.stop();
      await counters.close();
    },
  };
}

// Each backend's driver is imported when that backend is chosen: a gateway on SQLite never loads
// the Redis client (a second of start-up on a busy machine), one on Redis never loads SQLite's.

async function sqliteStore(path: string, logger: Logger, saveCounters: boolean, owner: OwnerOptions): Promise<Store> {
  const { default: KeyvSqliteAdapter } = await import('@keyv/sqlite');
  const file = resolve(path);
  await mkdir(dirname(file), { recursive: true });
  // One adapter per namespace: Keyv writes its namespace onto the adapter, so sharing one would mix them.
  const adapters: KeyvSqlite[] = [];
  /** A connection of its own to the file, closed with the store. */
  const connect = () => {
    const adapter = new KeyvSqliteAdapter({ uri: `sqlite://${file}`, busyTimeout: 5000 });
    adapters.push(adapter);
    return adapter;
  };
  const namespaces = new Map<string, Keyv>();
  const keyv = (namespace: string) =>
    // A failed read must be an error, not an "absent" answer (saved counters read as none).
    cached(namespaces, namespace, () => new Keyv({ store: connect() as unknown as KeyvStoreAdapter, namespace, throwOnErrors: true }));
  const leases = new SqliteLeases(() => {
    const adapter = connect();
    return (sql, ...parameters) => adapter.query(sql, ...parameters);
  });
  const disconnect = () => Promise.all(adapters.map((adapter) => adapter.disconnect()));
  // Held before the counters are read: a predecessor's last save is in them.
  let ownership: Ownership | undefined;
  const counters = new MemoryCounters();
  let persistence: { stop(): Promise<void> } = { stop: async () => undefined };
  try {
    // A file that is no database, or one it cannot write, said here, naming it, not by the first plugin to read.
    await connect().query('SELECT count(*) FROM sqlite_master');
    if (saveCounters) ownership = await ownStoreFile(leases, file, logger, owner);
    if (ownership) persistence = await persistBehind(counters, keyv('counters'), logger, undefined, ownership.held);
    else await restoreCounters(counters, keyv('counters'), logger);
  } catch (error) {
    await ownership?.release();
    // A connection that never opened fails to close with the error that kept it from opening.
    await disconnect().catch(() => undefined);
    throw namingFile(error as Error, 'store', file);
  }
  const expiry = sweepExpired(connect().query, logger);
  return {
    kind: 'sqlite',
    kv: (namespace) => typed(keyv(namespace)),
    counters,
    exclusive: exclusiveOn(leases),
    async close() {
      await Promise.all([persistence.stop(), expiry.stop()]);
      await ownership?.release();
      await counters.close();
      await disconnect();
    },
  };
}

async function redisStore(url: string, logger: Logger, connectWithinMs: number | undefined): Promise<Store> {
  const [client, { default: KeyvRedis }] = await Promise.all([connectRedis(url, logger, connectWithinMs), import('@keyv/redis')]);
  const namespaces = new Map<string, Keyv>();
  const keyv = (namespace: string) =>
    cached(namespaces, namespace, () => {
      // A failing Redis must be an error, not an "absent" answer (which would read as "no such key").
      const adapter = new KeyvRedis(client, { throwOnErrors: true, throwOnConnectError: true });
      return new Keyv({ store: adapter as unknown as KeyvStoreAdapter, namespace: `llm-gateway:${namespace}`, throwOnErrors: true });
    });
  // A Redis that stops answering must not stop requests: bounded waits, local counting meanwhile.
  const counters = new BoundedCounters(new RedisCounters(client), logger);
  const stopWatching = watchRedisLiveness(client, logger);
  const warnings = await persistenceWarnings(client);
  for (const warning of warnings) logger.warn(warning);
  const dataLoss = watchForDataLoss(client, logger);
  return {
    kind: 'redis',
    warnings,
    get dataLosses() {
      return dataLoss.losses;
    },
    kv: (namespace) => boundedKv(typed(keyv(namespace))),
    counters,
    exclusive: exclusiveOn(new RedisLeases(client, KV_WAIT_MS)),
    async close() {
      // Counts taken here while Redis was away go to Redis first, if it answers.
      await counters.close();
      stopWatching();
      dataLoss.stop();
      if (!client.isOpen) return;
      // QUIT waits for Redis to answer; a Redis that does not must not hold up shutdown.
      const closed = client.close().then(() => true, () => false);
      const timedOut = new Promise<false>((resolve) => setTimeout(() => resolve(false), 1000).unref());
      if (!(await Promise.race([closed, timedOut]))) client.destroy();
    },
  };
}

/** Every key-value call on a shared store has a bounded wait: a stalled Redis is an error, not a hung request. */
const KV_WAIT_MS = 2000;

function boundedKv<Shape extends object>(kv: TypedKv<Shape>): TypedKv<Shape> {
  return {
    get: (key) => withinMs(KV_WAIT_MS, kv.get(key)),
    set: (key, value, ttlMs) => withinMs(KV_WAIT_MS, kv.set(key, value, ttlMs)),
    delete: (key) => withinMs(KV_WAIT_MS, kv.delete(key)),
    deleteMany: (keys) => withinMs(KV_WAIT_MS, kv.deleteMany(keys)),
  };
}

function exclusiveOn(leases: Leases): Store['exclusive'] {
  return (name, work) => exclusively(leases, name, work);
}

/** Keyv's get, set (with a TTL in ms), delete and deleteMany are the typed view's, as they are. */
function typed<Shape extends object>(keyv: Keyv): TypedKv<Shape> {
  return keyv as unknown as TypedKv<Shape>;
}

function cached<T>(map: Map<string, T>, key: string, make: () => T): T {
  let value = map.get(key);
  if (value === undefined) {
    value = make();
    map.set(key, value);
  }
  return value;
}

/** SQLite's own errors (SQLITE_NOTADB, SQLITE_READONLY, SQLITE_FULL) name no file, and a gateway has two. */
function namingFile(error: Error, what: string, file: string): Error {
  return error.message.includes(file) ? error : new Error(`cannot open the SQLite ${what} at ${file}: ${error.message}`, { cause: error });
}
