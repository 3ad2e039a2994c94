/**
 * A Redis process restarted with its data (AOF) under running gateways. Every replica reconnects on
 * its own within a bounded time, budgets work again at once, and the counts answered locally
 * meanwhile land in Redis once (no double counting), and no data loss is reported (the store's
 * clock goes on: core/store/redis-data-loss.ts). Written by the fifty-fourth session's review of
 * what an operator meets when a server restarts; it passed as first written.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, definePlugin, pricing, type Pricing } from '../../index.js';
import { createLogger } from '../../core/logger.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { mockProvider, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

const PORT = 6391;
const ADMIN = 'review-state-admin-key-0123456789';
const flatPricing = definePlugin({ name: 'test:flat-pricing', setup: (host) => host.provide(pricing, { costMicros: () => 1000, estimateMicros: () => 1000 } satisfies Pricing) });
const hasRedis = spawnSync('redis-server', ['--version']).status === 0;

describe.skipIf(!hasRedis)('a Redis restarted with its data', () => {
  let dir: string;
  let server: ChildProcess | undefined;
  let upstream: MockUpstream;
  let gws: RunningGateway[] = [];
  const lines: string[] = [];

  const startRedis = async () => {
    server = spawn('redis-server', ['--port', String(PORT), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always'], { stdio: 'ignore' });
    for (let i = 0; i < 100; i++) {
      const c = createClient({ url: `redis://127.0.0.1:${PORT}`, socket: { reconnectStrategy: false } });
      c.on('error', () => undefined);
      if (await c.connect().then(() => true, () => false)) { await c.quit(); return; }
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error('redis did not start');
  };
  const stopRedis = async () => {
    const s = server!;
    const exited = new Promise((r) => s.once('exit', r));
    s.kill('SIGTERM'); // Redis's own shutdown: the AOF is complete
    await exited;
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'review-state-redis-'));
    await startRedis();
    upstream = await startMockUpstream();
    const logger = createLogger({ level: 'info', write: (line) => lines.push(line) });
    for (let i = 0; i < 2; i++) gws.push(await startGateway({ store: `redis://127.0.0.1:${PORT}`, providers: { mock: mockProvider(upstream) }, plugins: [flatPricing(), auth({ adminKey: ADMIN, cacheTtlMs: 60_000 })] }, { logger }));
  });
  afterAll(async () => {
    await Promise.all(gws.map((g) => g.close()));
    await upstream?.close();
    if (server && server.exitCode === null) await stopRedis();
    rmSync(dir, { recursive: true, force: true });
  });

  it('every replica is back on Redis within seconds, and counts taken meanwhile land once', async () => {
    const create = async (spec: object) => (await (await fetch(`${gws[0]!.url}/admin/keys`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify(spec) })).json()) as { id: string; secret: string };
    const budgeted = await create({ name: 'budgeted', budget: { dailyUsd: 100 } });
    const limited = await create({ name: 'limited', limits: { rpm: 1000 } });
    const ask = (gw: number, secret: string) => new OpenAI({ baseURL: gws[gw]!.baseURL, apiKey: secret, maxRetries: 0 }).chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'hi' }] }).then(() => 200, (e: { status?: number; code?: string }) => `${e.status} ${e.code}`);
    for (const gw of [0, 1]) {
      expect(await ask(gw, budgeted.secret)).toBe(200);
      expect(await ask(gw, limited.secret)).toBe(200);
    }
    await stopRedis();
    const during: unknown[] = [];
    for (const gw of [0, 1]) for (let i = 0; i < 3; i++) during.push(await ask(gw, limited.secret));
    expect(during).toEqual([200, 200, 200, 200, 200, 200]);
    await startRedis();
    const started = Date.now();
    const back: number[] = [];
    for (const gw of [0, 1]) {
      while ((await ask(gw, budgeted.secret)) !== 200 && Date.now() - started < 15_000) await new Promise((r) => setTimeout(r, 200));
      back.push(Date.now() - started);
    }
    expect(Math.max(...back)).toBeLessThan(5000);
    // Counted locally meanwhile (6), moved into Redis once: 2 before + 6 = 8 in the key's rpm window.
    await new Promise((r) => setTimeout(r, 2500));
    const redis = createClient({ url: `redis://127.0.0.1:${PORT}` });
    redis.on('error', () => undefined);
    await redis.connect();
    const rpm = await redis.keys(`llm-gateway:counter:rpm:${limited.id}:*`);
    const budget = await redis.keys(`llm-gateway:counter:budget:${budgeted.id}:*`);
    expect(await redis.get(rpm[0]!)).toBe('8');
    expect(await redis.get(budget[0]!)).toBe('4000'); // 4 requests at 1000 micros, none during the outage
    await redis.quit();
    // Redis came back with all it had: the replicas' clocks go on, and no loss is reported.
    expect(lines.filter((line) => /the store lost data/.test(line))).toEqual([]);
  }, 30_000);
});
