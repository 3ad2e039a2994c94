/**
 * Two gateways on one SQLite store file: two systemd units started by mistake, or a deploy that
 * starts the new process on a shared volume before the old one has stopped. Before its fix, both
 * opened the file, and each saved its whole in-memory snapshot of the counters every second, so
 * what one spent was overwritten by the other's save and a key's budget forgot money spent
 * (`start --workers` was already refused on SQLite for this reason; two `start`s were not). Now a
 * store that saves counters holds the file while it is open: a second one waits a bounded time
 * for it (a predecessor draining its requests lets go when it closes, and the successor reads its
 * last save), then refuses to open, naming the other process and what to do; a holder that died
 * lets go when its lease runs out. `llm-gateway keys` (a store that never saves counters) still
 * opens at once beside a running gateway. Real sockets, the `openai` client, the mock upstream.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import sqlite3 from 'sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { auth, definePlugin, pricing, type GatewayConfig, type Pricing } from '../../index.js';
import { createLogger, silentLogger } from '../../core/logger.js';
import { openStore, type Store } from '../../core/store/store.js';
import { KeyStore, keyStateOf } from '../../plugins/auth/keys.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { mockProvider, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

const ADMIN = 'one-owner-admin-key-0123456789';
const flatPricing = definePlugin({ name: 'test:flat-pricing', setup: (host) => host.provide(pricing, { costMicros: () => 1000, estimateMicros: () => 1000 } satisfies Pricing) });

let dir: string;
let upstream: MockUpstream;
const gateways: RunningGateway[] = [];
const stores: Store[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sqlite-one-owner-'));
  upstream = await startMockUpstream();
});
afterEach(async () => {
  await Promise.all([...gateways.splice(0).map((g) => g.close()), ...stores.splice(0).map((s) => s.close())].map((p) => p.catch(() => undefined)));
});
afterAll(async () => {
  await upstream?.close();
  rmSync(dir, { recursive: true, force: true });
});

const config = (file: string): GatewayConfig => ({ store: `sqlite://${file}`, providers: { mock: mockProvider(upstream) }, plugins: [flatPricing(), auth({ adminKey: ADMIN, cacheTtlMs: 0 })] });
async function start(file: string): Promise<RunningGateway> {
  const gateway = await startGateway(config(file));
  gateways.push(gateway);
  return gateway;
}
async function open(file: string, options: Parameters<typeof openStore>[2] & { lines?: string[] } = {}): Promise<Store> {
  const { lines, ...rest } = options;
  const logger = lines ? createLogger({ level: 'info', write: (line) => lines.push(line) }) : silentLogger;
  const store = await openStore(`sqlite://${file}`, logger, rest);
  stores.push(store);
  return store;
}
const admin = (gw: RunningGateway, path: string, init: RequestInit = {}) =>
  fetch(`${gw.url}${path}`, { ...init, headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' } }).then((r) => r.json() as Promise<Record<string, any>>);
const ask = (gw: RunningGateway, secret: string) =>
  new OpenAI({ baseURL: gw.baseURL, apiKey: secret, maxRetries: 0 }).chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'hi' }] });

/** Writes the owner row a gateway elsewhere would hold, running out `forMs` from now. */
async function heldElsewhere(file: string, forMs: number): Promise<void> {
  const db = new sqlite3.Database(file);
  const run = (sql: string, ...parameters: unknown[]) => new Promise<void>((resolve, reject) => db.run(sql, parameters, (e) => (e ? reject(e) : resolve())));
  await run('CREATE TABLE IF NOT EXISTS llm_gateway_leases (name TEXT PRIMARY KEY, token TEXT NOT NULL, until INTEGER NOT NULL)');
  await run('INSERT OR REPLACE INTO llm_gateway_leases (name, token, until) VALUES (?, ?, ?)', 'llm-gateway:counters-owner', '4242@other-host/0000', Date.now() + forMs);
  await new Promise<void>((resolve) => db.close(() => resolve()));
}

describe('one gateway at a time on a SQLite store file', () => {
  it('refuses a second gateway, naming the first and what to do; the first keeps its spend and hands it on when it stops', async () => {
    const file = join(dir, 'gateway.sqlite');
    const first = await start(file);
    const created = await admin(first, '/admin/keys', { method: 'POST', body: JSON.stringify({ name: 'k', budget: { dailyUsd: 100 } }) });
    for (let i = 0; i < 3; i++) await ask(first, created.secret);

    const lines: string[] = [];
    const began = Date.now();
    const refused = await open(file, { ownerWaitMs: 1500, lines }).catch((error: Error) => error);
    expect(refused).toBeInstanceOf(Error);
    expect((refused as Error).message).toMatch(new RegExp(`^another gateway \\(pid ${process.pid} on host .+\\) is using this SQLite store \\(${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\)`));
    expect((refused as Error).message).toMatch(/Stop the other gateway first, or run several on a shared Redis store/);
    expect(Date.now() - began).toBeGreaterThanOrEqual(1200);
    expect(lines.some((l) => /WARN .*is using this SQLite store; waiting up to 2 s/.test(l))).toBe(true);

    // A successor started while the first drains: it waits, and opens once the first has closed, with its last save.
    const successor = open(file, { ownerWaitMs: 10_000 });
    await new Promise((r) => setTimeout(r, 500));
    gateways.splice(0);
    await first.close();
    await (await successor).close();
    stores.splice(0);

    const again = await start(file);
    const shown = await admin(again, `/admin/keys/${created.id}`);
    expect(shown.usage.spentUsd.daily).toBeCloseTo(0.003, 6);
  }, 30_000);

  it('lets `llm-gateway keys` (a store that saves no counters) open at once beside a running gateway', async () => {
    const file = join(dir, 'beside.sqlite');
    const gateway = await start(file);
    const began = Date.now();
    const cli = await open(file, { saveCounters: false });
    expect(Date.now() - began).toBeLessThan(1000);
    const { key } = await new KeyStore(keyStateOf(cli), 0).create({ name: 'from-the-cli' });
    const listed = await admin(gateway, '/admin/keys');
    expect(JSON.stringify(listed)).toContain(key.id);
  });

  it('takes over from a gateway that died holding the file once its hold runs out, and names one still holding it', async () => {
    const file = join(dir, 'died.sqlite');
    await heldElsewhere(file, 60_000);
    await expect(open(file, { ownerWaitMs: 300 })).rejects.toThrow(/^another gateway \(pid 4242 on host other-host\) is using this SQLite store/);

    await heldElsewhere(file, 800);
    const began = Date.now();
    await open(file, { ownerWaitMs: 5000 });
    expect(Date.now() - began).toBeGreaterThanOrEqual(500);
  });
});
