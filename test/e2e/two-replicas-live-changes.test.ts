/**
 * Two replicas sharing one Redis (REDIS_URL, its own database, emptied here), each following the
 * other's live changes by polling (every 2 s).
 *
 * Before their fixes (a review of the fifty-ninth session's own diff): a replica applying a change
 * late erased in Redis the circuit the new host had opened meanwhile on the other (each replica
 * forgot a replaced provider's circuits as it applied the change); a replica that never held the
 * circuit (restarted since it opened) did not forget it; and a change made on a replica whose
 * config file lacked an entry another's had dropped the marker that hid it there. Circuits are now
 * named with the provider's generation (nothing is erased), and markers are kept as stored.
 */
import { createClient } from 'redis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { circuitBreaker, dashboard, type GatewayConfig } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { freePort } from '../support/free-port.js';
import { ownRedisDatabase } from '../support/redis-databases.js';

const REDIS_URL = process.env.REDIS_URL;
const ADMIN = 'admin-key-of-the-review-diff-replica-tests';
const headers = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };
const FOLLOW_MS = 3_500; // past one poll (2 s)
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let store: string;
let first: MockUpstream;
let second: MockUpstream;
const running: RunningGateway[] = [];

async function admin(gw: RunningGateway, method: string, path: string, body?: unknown): Promise<void> {
  const res = await fetch(`${gw.url}${path}`, { method, headers, ...(body ? { body: JSON.stringify(body) } : {}) });
  if (res.status !== 200) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
}

async function chat(gw: RunningGateway, model: string): Promise<{ status: number; code?: string }> {
  const res = await fetch(`${gw.baseURL}/chat/completions`, { method: 'POST', headers, body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }) });
  const body = (await res.json()) as { error?: { code?: string } };
  return { status: res.status, ...(body.error?.code ? { code: body.error.code } : {}) };
}

async function start(config: Partial<GatewayConfig>): Promise<RunningGateway> {
  const gw = await startGateway({ store, server: { adminKey: ADMIN }, models: { fast: { targets: ['a/mock-small'] } }, plugins: [dashboard()], ...config } as GatewayConfig);
  running.push(gw);
  return gw;
}

async function flush(): Promise<void> {
  const client = createClient({ url: store });
  await client.connect();
  await client.flushDb();
  await client.quit();
}

beforeAll(async () => {
  if (!REDIS_URL) throw new Error('REDIS_URL is needed');
  store = ownRedisDatabase(REDIS_URL, 'twoReplicasLiveChanges');
  first = await startMockUpstream();
  second = await startMockUpstream();
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((gw) => gw.close()));
  await flush();
});

afterAll(async () => {
  await first?.close();
  await second?.close();
});

describe.skipIf(!REDIS_URL)('two replicas on one Redis', () => {
  it('keep a file provider removed live when a replica whose file lacks it makes another change (a rolling deploy of the config)', async () => {
    await flush();
    // A runs the new config file (which adds `extra`), B still the old one.
    const a = await start({ providers: { a: { type: 'openai-compatible', baseURL: first.baseURL, listModels: false }, extra: { type: 'openai-compatible', baseURL: second.baseURL, listModels: false } } });
    const b = await start({ providers: { a: { type: 'openai-compatible', baseURL: first.baseURL, listModels: false } } });
    expect(await chat(a, 'extra/mock-small')).toEqual({ status: 200 });
    // The operator takes `extra` out live (it misbehaves), through replica A.
    await admin(a, 'DELETE', '/admin/config/providers/extra');
    expect((await chat(a, 'extra/mock-small')).status, 'extra removed on A').not.toBe(200);
    // An unrelated change lands on replica B (a load balancer picks it).
    await admin(b, 'PUT', '/admin/config/models/other', { targets: ['a/mock-small'] });
    await sleep(FOLLOW_MS);
    const view = (await (await fetch(`${a.url}/admin/config`, { headers })).json()) as { providers: Array<{ name: string; origin: string }> };
    expect({ origin: view.providers.find((p) => p.name === 'extra')?.origin, chat: (await chat(a, 'extra/mock-small')).status }, 'extra on A once it followed B\'s change').toEqual({ origin: 'removed', chat: 404 });
  }, 20_000);

  it('a replica\'s late apply does not forget the circuit the new host opened on the other', async () => {
    await flush();
    const dead1 = `http://127.0.0.1:${await freePort()}/v1`;
    const dead2 = `http://127.0.0.1:${await freePort()}/v1`;
    const breaker = () => ({ plugins: [dashboard(), circuitBreaker({ failureThreshold: 2, cooldownMs: 60_000 })], providers: { a: { type: 'openai-compatible' as const, baseURL: first.baseURL, listModels: false } } });
    const a = await start(breaker());
    const b = await start(breaker());
    await admin(a, 'PUT', '/admin/config/providers/moved', { type: 'openai-compatible', baseURL: dead1, listModels: false });
    await sleep(FOLLOW_MS);
    // Both replicas serve it (each holds the deployment's circuit).
    expect((await chat(b, 'moved/mock-small')).status).toBe(502);
    expect((await chat(a, 'moved/mock-small')).status).toBe(502);
    expect(await chat(a, 'moved/mock-small')).toMatchObject({ code: 'circuit_open' });
    // Pointed at another host, through A: which is down too. A's traffic opens the circuit again.
    await admin(a, 'PUT', '/admin/config/providers/moved', { type: 'openai-compatible', baseURL: dead2, listModels: false });
    await sleep(200);
    expect((await chat(a, 'moved/mock-small')).status).toBe(502);
    expect((await chat(a, 'moved/mock-small')).status).toBe(502);
    expect(await chat(a, 'moved/mock-small'), 'opened by the new host').toMatchObject({ code: 'circuit_open' });
    // B follows the change a poll later.
    await sleep(FOLLOW_MS);
    expect(await chat(a, 'moved/mock-small'), 'the new host\'s open circuit, once B followed the change').toMatchObject({ code: 'circuit_open' });
  }, 30_000);
  it('a replica that never held the circuit (restarted since it opened) still starts a moved provider afresh', async () => {
    await flush();
    const dead = `http://127.0.0.1:${await freePort()}/v1`;
    const breaker = () => ({ plugins: [dashboard(), circuitBreaker({ failureThreshold: 2, cooldownMs: 60_000 })], providers: { a: { type: 'openai-compatible' as const, baseURL: first.baseURL, listModels: false } } });
    const before = await start(breaker());
    await admin(before, 'PUT', '/admin/config/providers/moved', { type: 'openai-compatible', baseURL: dead, listModels: false });
    for (let i = 0; i < 2; i++) expect((await chat(before, 'moved/mock-small')).status).toBe(502);
    expect(await chat(before, 'moved/mock-small')).toMatchObject({ code: 'circuit_open' });
    // The gateway is redeployed (the circuit's state is in Redis), then the operator fixes the URL.
    await before.close();
    running.splice(running.indexOf(before), 1);
    const after = await start(breaker());
    await admin(after, 'PUT', '/admin/config/providers/moved', { type: 'openai-compatible', baseURL: first.baseURL, listModels: false });
    expect(await chat(after, 'moved/mock-small'), 'the first request to the new, healthy host').toEqual({ status: 200 });
  }, 30_000);
});
