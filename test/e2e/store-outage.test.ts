/**
 * A store that stops answering must not stop the gateway. With the real Redis behind a proxy that
 * the test can stall, requests keep being served in bounded time (limits count locally meanwhile,
 * keys already verified stay valid). With the real PostgreSQL of the usage log stalled, requests
 * are answered as usual and no usage record is lost: they are written once it answers again.
 */
import OpenAI from 'openai';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { auth, usageLogger } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { mockProvider, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { startStallableProxy, type StallableProxy } from '../support/stallable-proxy.js';

const REDIS_URL = process.env.REDIS_URL;
const DATABASE_URL = process.env.DATABASE_URL;
if (!REDIS_URL) console.warn('REDIS_URL is not set: the Redis outage test is skipped; .ci/run sets it.');
if (!DATABASE_URL) console.warn('DATABASE_URL is not set: the PostgreSQL outage test is skipped; .ci/run sets it.');

let upstream: MockUpstream;
let proxy: StallableProxy;
let gw: RunningGateway;
const ADMIN = 'outage-admin-key-0123456789';

beforeAll(async () => {
  if (!REDIS_URL) return;
  upstream = await startMockUpstream();
  const redis = new URL(REDIS_URL);
  proxy = await startStallableProxy(redis.hostname, Number(redis.port || 6379));
  gw = await startGateway({ store: `redis://127.0.0.1:${proxy.port}`, providers: { mock: mockProvider(upstream) }, plugins: [auth({ adminKey: ADMIN })] });
});
afterAll(async () => {
  await gw?.close();
  await proxy?.close();
  await upstream?.close();
});

it.skipIf(!REDIS_URL)('keeps serving a verified key, in bounded time, while Redis does not answer', async () => {
  const created = await fetch(`${gw.url}/admin/keys`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'outage', limits: { rpm: 100 } }) });
  const { secret } = (await created.json()) as { secret: string };
  const client = new OpenAI({ baseURL: gw.baseURL, apiKey: secret, maxRetries: 0 });
  await client.chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'before' }] });

  // Open connections dropped, new ones accepted and never answered.
  proxy.cut();
  proxy.stall();
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    const answer = await client.chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: `during ${i}` }] });
    expect(answer.choices[0]?.message.content).toBe(`echo: during ${i}`);
    // A bounded wait per store call, far from a hang.
    expect(performance.now() - started).toBeLessThan(3000);
  }
  // A key never seen before cannot be verified: a clear 503, not a guess.
  const stranger = await new OpenAI({ baseURL: gw.baseURL, apiKey: 'gw-never-seen-before-0000000000', maxRetries: 0 }).chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
  expect((stranger as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
  expect((stranger as InstanceType<typeof OpenAI.APIError>).error).toMatchObject({ code: 'key_store_unavailable' });
});

it.skipIf(!REDIS_URL)('refuses a key with a budget (503 store_unavailable) while Redis does not answer, rather than spend where other replicas cannot see', async () => {
  const up = await startMockUpstream();
  const redis = new URL(REDIS_URL!);
  const budgetProxy = await startStallableProxy(redis.hostname, Number(redis.port || 6379));
  const budgeted = await startGateway({ store: `redis://127.0.0.1:${budgetProxy.port}`, providers: { mock: mockProvider(up) }, plugins: [auth({ adminKey: ADMIN })] });
  try {
    const created = await fetch(`${budgeted.url}/admin/keys`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'budgeted', budget: { dailyUsd: 5 } }) });
    const { secret } = (await created.json()) as { secret: string };
    const client = new OpenAI({ baseURL: budgeted.baseURL, apiKey: secret, maxRetries: 0 });
    await client.chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'before' }] });
    const servedBefore = up.requests.length;

    budgetProxy.cut();
    budgetProxy.stall();
    const refused = await client.chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'during' }] }).catch((e: unknown) => e);
    expect((refused as InstanceType<typeof OpenAI.APIError>).status).toBe(503);
    expect((refused as InstanceType<typeof OpenAI.APIError>).error).toMatchObject({ code: 'store_unavailable' });
    expect(up.requests.length).toBe(servedBefore);

    // Once Redis answers again (the client reconnects on its own schedule), the key spends again.
    budgetProxy.resume();
    const answered = () => client.chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'after' }] }).then((a) => a.choices[0]?.message.content, () => undefined);
    await expect.poll(answered, { timeout: 15_000, interval: 500 }).toBe('echo: after');
  } finally {
    await budgeted.close();
    await budgetProxy.close();
    await up.close();
  }
}, 30_000);

it.skipIf(!DATABASE_URL)('answers as usual while the usage log\'s PostgreSQL does not, and loses no record', async () => {
  const target = new URL(DATABASE_URL!);
  const pgProxy = await startStallableProxy(target.hostname, Number(target.port || 5432));
  const viaProxy = new URL(DATABASE_URL!);
  viaProxy.hostname = '127.0.0.1';
  viaProxy.port = String(pgProxy.port);
  const up = await startMockUpstream();
  const logged = await startGateway({ providers: { mock: mockProvider(up) }, plugins: [usageLogger({ url: viaProxy.toString() })] });
  const run = `outage-pg-${Date.now()}-${Math.random().toString(36).slice(2, 8)}`;
  const ids: string[] = [];
  const ask = async (i: number) => {
    const id = `${run}-${i}`;
    ids.push(id);
    const client = new OpenAI({ baseURL: logged.baseURL, apiKey: 'unused', maxRetries: 0, defaultHeaders: { 'x-request-id': id } });
    const started = performance.now();
    const answer = await client.chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: `n${i}` }] });
    expect(answer.choices[0]?.message.content).toBe(`echo: n${i}`);
    return performance.now() - started;
  };
  const reader = new pg.Client({ connectionString: DATABASE_URL });
  await reader.connect();
  // The client's own ids (x-request-id): kept as client_request_id beside the gateway's key.
  const rowsOf = async () => Number((await reader.query<{ n: string }>('SELECT count(*) AS n FROM public.usage_records WHERE client_request_id = ANY($1)', [ids])).rows[0]!.n);
  try {
    await ask(0);
    await expect.poll(rowsOf, { timeout: 10_000 }).toBe(1);

    pgProxy.stall();
    // The write happens behind the requests: a stalled database never delays an answer.
    for (let i = 1; i <= 5; i++) expect(await ask(i)).toBeLessThan(3000);
    expect(await rowsOf()).toBe(1);

    pgProxy.resume();
    await expect.poll(rowsOf, { timeout: 20_000 }).toBe(6);
  } finally {
    await reader.end();
    await logged.close();
    await up.close();
    await pgProxy.close();
  }
}, 60_000);
