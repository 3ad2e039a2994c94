/**
 * `store.exclusive`: one change at a time to a name, across every process sharing the store. Leases
 * in this process (the memory store), in a SQLite file two processes open, and in a real Redis
 * (REDIS_URL), each shown to exclude, to run out when their holder never ends them, and to refuse
 * with a 503 rather than hang.
 */
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import KeyvSqlite from '@keyv/sqlite';
import { createClient, type RedisClientType } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exclusively, LocalLeases, RedisLeases, SqliteLeases, type Leases } from '../../../core/store/exclusive.js';
import { silentLogger } from '../../../core/logger.js';
import { openStore } from '../../../core/store/store.js';

const REDIS_URL = process.env.REDIS_URL;

let client: RedisClientType | undefined;
let dir: string;
const opened: KeyvSqlite[] = [];
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'leases-'));
  if (!REDIS_URL) return;
  client = createClient({ url: REDIS_URL }) as RedisClientType;
  await client.connect();
});
afterAll(async () => {
  await client?.quit();
  await Promise.all(opened.map((adapter) => adapter.disconnect()));
  await rm(dir, { recursive: true, force: true });
});

/** Two replicas' leases on one store: what one holds, the other cannot take. */
async function redisReplicas(): Promise<Leases[]> {
  const prefix = `test:lease:${randomUUID()}:`;
  return [new RedisLeases(client!, 2000, prefix), new RedisLeases(client!, 2000, prefix)];
}

/** Two processes' leases on one SQLite file (each its own connection), as a gateway and `llm-gateway keys` beside it. */
async function sqliteProcesses(): Promise<Leases[]> {
  const file = join(dir, `${randomUUID()}.sqlite`);
  const adapters = [0, 1].map(() => new KeyvSqlite({ uri: `sqlite://${file}`, busyTimeout: 5000 }));
  opened.push(...adapters);
  return adapters.map((adapter) => new SqliteLeases(() => (sql, ...parameters) => adapter.query(sql, ...parameters)));
}

type Kind = [string, () => Promise<Leases[]>];
const kinds: Kind[] = [
  ['in this process', async () => [new LocalLeases()]],
  ['in SQLite, two processes', sqliteProcesses],
  ...(REDIS_URL ? [['in Redis, two replicas', redisReplicas] as Kind] : []),
];

describe.each(kinds)('leases %s', (_kind, make) => {
  it('runs the work of one name one at a time, and of other names at once', async () => {
    const [one, two] = await make();
    const replicas = [one!, two ?? one!];
    let inside = 0;
    let most = 0;
    const work = async () => {
      most = Math.max(most, ++inside);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inside--;
    };
    await Promise.all(Array.from({ length: 8 }, (_, i) => exclusively(replicas[i % 2]!, 'contested', work)));
    expect(most).toBe(1);

    // Other names: each work waits (a bounded time) for all four to be inside, which only leases
    // that let them in together allow, however slowly each claim is answered.
    most = 0;
    const together = async () => {
      most = Math.max(most, ++inside);
      for (const until = Date.now() + 3_000; inside < 4 && Date.now() < until; ) await new Promise((resolve) => setTimeout(resolve, 5));
      inside--;
    };
    await Promise.all(Array.from({ length: 4 }, (_, i) => exclusively(replicas[i % 2]!, `name-${i}`, together)));
    expect(most).toBe(4);
  });

  it('ends the lease when the work fails, and passes the failure on', async () => {
    const [leases] = await make();
    await expect(exclusively(leases!, 'failing', async () => Promise.reject(new Error('broken')))).rejects.toThrow('broken');
    expect(await exclusively(leases!, 'failing', async () => 'next', { waitMs: 0 })).toBe('next');
  });

  it('refuses with a retryable 503 once the wait is over, while another holds the name', async () => {
    const [leases] = await make();
    expect(await leases!.claim('held', 10_000)).toBeDefined();
    const started = Date.now();
    await expect(exclusively(leases!, 'held', async () => 'never', { waitMs: 150 })).rejects.toMatchObject({ status: 503, code: 'change_in_progress', retryable: true });
    expect(Date.now() - started).toBeLessThan(2_000);
  });

  it('takes a lease whose holder never ended it once its time has run out', async () => {
    const [leases] = await make();
    const stale = await leases!.claim('abandoned', 100);
    expect(stale).toBeDefined();
    expect(await exclusively(leases!, 'abandoned', async () => 'taken', { waitMs: 3_000 })).toBe('taken');
    // The old holder ending it late leaves a newer lease alone.
    const newer = await leases!.claim('abandoned', 10_000);
    await leases!.release('abandoned', stale!);
    expect(await leases!.claim('abandoned', 10_000)).toBeUndefined();
    await leases!.release('abandoned', newer!);
    expect(await leases!.claim('abandoned', 10_000)).toBeDefined();
  });
});

describe('leases in this process', () => {
  it('keeps no name once its work has ended', async () => {
    const leases = new LocalLeases();
    await Promise.all(Array.from({ length: 50 }, (_, i) => exclusively(leases, `client-chosen-${i}`, async () => undefined)));
    await exclusively(leases, 'failing', async () => Promise.reject(new Error('no'))).catch(() => undefined);
    expect(leases.size).toBe(0);
  });
});

describe.skipIf(!REDIS_URL)('leases on a Redis store', () => {
  it('exclude across two stores opened on one Redis, as two replicas open them', async () => {
    const stores = [await openStore(REDIS_URL!, silentLogger), await openStore(REDIS_URL!, silentLogger)];
    try {
      const name = `test:${randomUUID()}`;
      let inside = 0;
      let most = 0;
      await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          stores[i % 2]!.exclusive(name, async () => {
            most = Math.max(most, ++inside);
            await new Promise((resolve) => setTimeout(resolve, 5));
            inside--;
          }),
        ),
      );
      expect(most).toBe(1);
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });
});
