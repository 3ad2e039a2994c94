/**
 * A Redis store that loses its data under running gateways: flushed, restarted without persistence,
 * or crashed and restored from its last snapshot (Redis's stock `save` settings). Everything the
 * gateway keeps there (virtual keys, revocations, spend, live changes, the cache's log) is gone or
 * rolled back. Before its fix, nothing said so: clients got a plain 401 for keys that no longer
 * existed, a key revoked after the snapshot worked again, and the log was silent; a cache clear made
 * on one replica after a flush never reached the others (each remembered the last log number it had
 * read, and the log was numbered again from 1 below it), and a live change made after a flush could
 * go unseen by a replica whose remembered version the new count happened to reach. Now every
 * replica keeps an epoch and a clock in Redis and says, in an error, when Redis answers another
 * epoch or an older clock than before (core/store/redis-data-loss.ts), and the cache and live
 * config read their logs anew.
 * The real Redis: the shared server's databases 13 and 14, and a redis-server of the test's own for
 * the crash. A revoked key that a rollback revived still works: that is Redis's data, and the error
 * says to restore it; docs/deployment.md says to run Redis with `appendonly yes`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, cache, dashboard } from '../../index.js';
import { createLogger } from '../../core/logger.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { mockProvider, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { ownRedisDatabase } from '../support/redis-databases.js';

const REDIS_URL = process.env.REDIS_URL;
const ADMIN = 'redis-data-loss-admin-key-0123456789';
const LOST = /the store lost data/;
const hasRedisServer = spawnSync('redis-server', ['--version']).status === 0;

const OWN_DB = ownRedisDatabase(REDIS_URL ?? 'redis://x', 'storeDataLoss');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean | Promise<boolean>, withinMs: number): Promise<boolean> {
  const end = Date.now() + withinMs;
  while (Date.now() < end) {
    if (await check()) return true;
    await sleep(100);
  }
  return check();
}

let upstream: MockUpstream;
beforeAll(async () => {
  upstream = await startMockUpstream();
});
afterAll(async () => {
  await upstream?.close();
});

describe.skipIf(!REDIS_URL)('a Redis flushed under running gateways', () => {
  const redis = createClient({ url: OWN_DB });
  const open: RunningGateway[] = [];
  const lines: string[] = [];
  const start = async (plugins: Parameters<typeof startGateway>[0]['plugins']) => {
    const gw = await startGateway({ store: OWN_DB, providers: { mock: mockProvider(upstream) }, plugins }, { logger: createLogger({ level: 'info', write: (line) => lines.push(line) }) });
    open.push(gw);
    return gw;
  };

  beforeAll(async () => {
    await redis.connect();
    await redis.flushDb();
  });
  afterAll(async () => {
    await Promise.all(open.map((gw) => gw.close()));
    await redis.flushDb().catch(() => undefined);
    await redis.quit().catch(() => undefined);
  });

  it('says the store lost data, where clients only saw 401s', async () => {
    const gw = await start([auth({ adminKey: ADMIN, cacheTtlMs: 500 })]);
    const created = (await (await fetch(`${gw.url}/admin/keys`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'prod-client' }) })).json()) as { secret: string };
    const client = new OpenAI({ baseURL: gw.baseURL, apiKey: created.secret, maxRetries: 0 });
    const ask = () => client.chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'hi' }] }).then(() => 200, (error: { status?: number }) => error.status);
    expect(await ask()).toBe(200);
    await sleep(2500); // the clock has been read at least once since the start
    expect(lines.filter((line) => LOST.test(line))).toEqual([]);

    await redis.flushDb(); // a Redis without persistence, restarted

    expect(await until(() => lines.some((line) => LOST.test(line) && /ERROR/.test(line)), 6000)).toBe(true);
    await sleep(600); // the key cache's time
    expect(await ask()).toBe(401); // the key is gone with the rest: the log says why
  }, 20_000);

  it('a cache clear on one replica still reaches the other after the flush', async () => {
    await redis.flushDb();
    const replicas = [await start([cache({ syncIntervalMs: 100, storeTimeoutMs: 2000 }), dashboard({ adminKey: ADMIN })]), await start([cache({ syncIntervalMs: 100, storeTimeoutMs: 2000 }), dashboard({ adminKey: ADMIN })])];
    const ask = async (replica: number, content: string) => {
      const { response } = await new OpenAI({ baseURL: replicas[replica]!.baseURL, apiKey: 'open', maxRetries: 0 }).chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content }] }).withResponse();
      return response.headers.get('x-gateway-cache');
    };
    for (let i = 0; i < 5; i++) expect(await ask(0, `before ${i}`)).toBe('miss');
    await sleep(500); // both replicas have read the log up to 5

    await redis.flushDb();

    expect(await ask(1, 'a bad answer')).toBe('miss'); // cached by replica 1 after the flush
    expect(await ask(0, 'a bad answer')).toBe('hit');
    await sleep(2500); // each replica's clock has seen the loss (every 2 s), and its cache read the log anew
    expect((await fetch(`${replicas[0]!.baseURL}/cache`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN}` } })).status).toBe(200);
    await sleep(800);
    // Asked of the other replica first: a miss there caches the answer again, for both.
    expect(await ask(1, 'a bad answer')).toBe('miss');
  }, 20_000);

  it('a live change made after the flush reaches a replica whose version the new count reached', async () => {
    await redis.flushDb();
    const replicas = [await start([dashboard({ adminKey: ADMIN })]), await start([dashboard({ adminKey: ADMIN })])];
    const put = (replica: number, name: string, model: string) =>
      fetch(`${replicas[replica]!.url}/admin/config/models/${name}`, { method: 'PUT', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ targets: [`mock/${model}`] }) });
    const modelsOn = async (replica: number) => ((await (await fetch(`${replicas[replica]!.url}/admin/config`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as { models: { name: string }[] }).models.map((m) => m.name);

    expect((await put(0, 'before-flush', 'mock-small')).status).toBe(200); // version 1
    expect(await until(async () => (await modelsOn(1)).includes('before-flush'), 5000)).toBe(true);

    await redis.flushDb();
    // At once, before replica 1 looks again (every 2 s): the count starts again, at the version it has.
    expect((await put(0, 'after-flush', 'mock-small')).status).toBe(200); // version 1 again

    expect(await until(async () => (await modelsOn(1)).includes('after-flush'), 7000)).toBe(true);
    expect(await modelsOn(1)).not.toContain('before-flush'); // gone from the store with the rest
  }, 25_000);
});

describe.skipIf(!hasRedisServer)('a Redis that crashes and comes back with its last snapshot', () => {
  const PORT = 6393;
  let dir: string;
  let server: ChildProcess | undefined;
  let gw: RunningGateway;
  const lines: string[] = [];

  const startRedis = async () => {
    server = spawn('redis-server', ['--port', String(PORT), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      const client = createClient({ url: `redis://127.0.0.1:${PORT}`, socket: { reconnectStrategy: false } });
      client.on('error', () => undefined);
      if (await client.connect().then(() => true, () => false)) return client;
      await sleep(50);
    }
    throw new Error('redis-server did not start');
  };
  const crashRedis = async () => {
    const running = server!;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGKILL');
    await exited;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'redis-data-loss-'));
    await (await startRedis()).quit();
    gw = await startGateway({ store: `redis://127.0.0.1:${PORT}`, providers: { mock: mockProvider(upstream) }, plugins: [auth({ adminKey: ADMIN })] }, { logger: createLogger({ level: 'info', write: (line) => lines.push(line) }) });
  });
  afterAll(async () => {
    await gw?.close();
    if (server && server.exitCode === null && server.signalCode === null) await crashRedis();
    rmSync(dir, { recursive: true, force: true });
  });

  it('says so when Redis comes back older than it was (a revocation since the snapshot undone)', async () => {
    const created = (await (await fetch(`${gw.url}/admin/keys`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'leaked' }) })).json()) as { id: string };
    const client = createClient({ url: `redis://127.0.0.1:${PORT}` });
    client.on('error', () => undefined);
    await client.connect();
    await client.sendCommand(['SAVE']); // Redis's periodic snapshot
    await client.quit();
    await sleep(4500); // the replicas' clocks move on past the snapshot's
    expect((await fetch(`${gw.url}/admin/keys/${created.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN}` } })).status).toBe(200);
    expect(lines.filter((line) => LOST.test(line))).toEqual([]);

    await crashRedis();
    await (await startRedis()).quit(); // loads the snapshot taken before the revocation

    expect(await until(() => lines.some((line) => LOST.test(line) && /ERROR/.test(line)), 8000)).toBe(true);
  }, 30_000);
});
