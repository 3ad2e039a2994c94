/**
 * gateway:auth through real sockets with the official clients: keys created over the admin API,
 * refused when missing, unknown or revoked, held to their models, rate and budget, with errors in
 * each API's own format.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { auth, definePlugin, pricing, rules, type Pricing } from '../../../index.js';
import { modelVisibility } from '../../../sdk/plugin.js';
import { startGateway, type RunningGateway } from '../../support/gateway.js';
import { startMockUpstream, mockProvider, type MockUpstream } from '../../support/mock-upstream.js';

const ADMIN = 'admin-key-for-tests-0123456789';
/** Every answer costs exactly $0.001, and so does every estimate: budgets are exact here. */
const flatPricing = definePlugin({
  name: 'test:flat-pricing',
  setup(host) {
    const prices: Pricing = { costMicros: () => 1000, estimateMicros: () => 1000 };
    host.provide(pricing, prices);
  },
});

/** An API surface outside /v1, as a plugin may add one (Ollama's /api/*). */
const elsewhere = definePlugin({
  name: 'test:elsewhere',
  setup(host) {
    host.route({ method: 'GET', path: '/api/ping', handler: (http) => void (http.body = { pong: true }) });
  },
});

let upstream: MockUpstream;
let gw: RunningGateway;

beforeAll(async () => {
  // Limits run on a clock the tests can move (Date only: sockets keep their real timers).
  vi.useFakeTimers({ toFake: ['Date', 'performance'], shouldAdvanceTime: true });
  upstream = await startMockUpstream();
  gw = await startGateway({
    providers: { mock: mockProvider(upstream), other: mockProvider(upstream) },
    models: { fast: { targets: ['mock/mock-small'] } },
    plugins: [flatPricing(), elsewhere(), auth({ adminKey: ADMIN })],
  });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
  vi.useRealTimers();
});

async function createKey(spec: Record<string, unknown>): Promise<{ id: string; secret: string }> {
  const res = await fetch(`${gw.url}/admin/keys`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify(spec) });
  expect(res.status).toBe(201);
  return (await res.json()) as { id: string; secret: string };
}
const openai = (key: string) => new OpenAI({ baseURL: gw.baseURL, apiKey: key, maxRetries: 0 });
const ask = (key: string, model = 'mock/mock-small') => openai(key).chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] });
const statusOf = (error: unknown) => (error as InstanceType<typeof OpenAI.APIError>).status;

describe('at the door', () => {
  it('refuses a request without a key, or with an unknown one, in each API\'s format', async () => {
    const none = await fetch(`${gw.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ error: { type: 'authentication_error', code: 'missing_api_key' } });
    const models = await fetch(`${gw.baseURL}/models`);
    expect(models.status).toBe(401);

    const error = await new Anthropic({ baseURL: gw.url, apiKey: 'gw-not-a-key', maxRetries: 0 }).messages.create({ model: 'mock/mock-small', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.AuthenticationError);
    expect((error as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ type: 'error', error: { type: 'authentication_error', code: 'invalid_api_key' } });
    expect((await fetch(`${gw.url}/health`)).status).toBe(200);
  });

  it('asks for a key on every route but the public ones, API surfaces outside /v1 included; an unknown path is a 404', async () => {
    expect((await fetch(`${gw.url}/api/ping`)).status).toBe(401);
    expect((await fetch(`${gw.url}/api/ping`, { headers: { authorization: 'Bearer gw-not-a-key' } })).status).toBe(401);
    const { secret } = await createKey({ name: 'elsewhere' });
    const ping = await fetch(`${gw.url}/api/ping`, { headers: { authorization: `Bearer ${secret}` } });
    expect(ping.status).toBe(200);
    expect(await ping.json()).toEqual({ pong: true });
    expect((await fetch(`${gw.url}/ready`)).status).not.toBe(401);
    expect((await fetch(`${gw.url}/v1/nowhere`)).status).toBe(404);
    expect((await fetch(`${gw.url}/v1/models`)).status).toBe(401);
  });

  it('guards the admin routes with the admin key', async () => {
    expect((await fetch(`${gw.url}/admin/keys`)).status).toBe(401);
    const { secret } = await createKey({ name: 'not-admin' });
    expect((await fetch(`${gw.url}/admin/keys`, { headers: { authorization: `Bearer ${secret}` } })).status).toBe(401);
  });
});

describe('keys', () => {
  it('shows the secret once, stores only its hash, and lets both clients in', async () => {
    const { id, secret } = await createKey({ name: 'app', team: 'search', metadata: { owner: 'ana' } });
    expect(secret).toMatch(/^gw-/);
    const list = (await (await fetch(`${gw.url}/admin/keys`, { headers: { 'x-api-key': ADMIN } })).json()) as { data: Array<Record<string, unknown>> };
    const listed = list.data.find((k) => k.id === id);
    expect(listed).toMatchObject({ name: 'app', team: 'search', status: 'active' });
    expect(JSON.stringify(list)).not.toContain(secret);
    expect(listed).not.toHaveProperty('hash');

    expect((await ask(secret)).choices[0]?.message.content).toBe('echo: hi');
    const message = await new Anthropic({ baseURL: gw.url, apiKey: secret, maxRetries: 0 }).messages.create({ model: 'mock/mock-small', max_tokens: 5, messages: [{ role: 'user', content: 'yo' }] });
    expect(message.content).toEqual([{ type: 'text', text: 'echo: yo' }]);
    // The provider's key is the gateway's, never the caller's.
    expect(JSON.stringify(upstream.requests.at(-1)?.headers)).not.toContain(secret);
  });

  it('lists, lets in and revokes every one of twenty keys created over the admin API at once', async () => {
    const created = await Promise.all(Array.from({ length: 20 }, (_, i) => createKey({ name: `parallel-${i}` })));
    expect(new Set(created.map((k) => k.id)).size).toBe(20);
    const list = (await (await fetch(`${gw.url}/admin/keys`, { headers: { 'x-api-key': ADMIN } })).json()) as { data: Array<{ id: string }> };
    const listed = new Set(list.data.map((k) => k.id));
    expect(created.filter((k) => !listed.has(k.id))).toEqual([]);

    for (const { secret } of created.slice(0, 3)) expect((await ask(secret)).choices[0]?.message.content).toBe('echo: hi');
    const revoked = await Promise.all(created.map(({ id }) => fetch(`${gw.url}/admin/keys/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN}` } })));
    expect(revoked.map((res) => res.status)).toEqual(created.map(() => 200));
    expect(statusOf(await ask(created[19]!.secret).catch((e: unknown) => e))).toBe(401);
  });

  it('refuses a revoked key with 401 at once', async () => {
    const { id, secret } = await createKey({ name: 'short-lived' });
    await ask(secret);
    const res = await fetch(`${gw.url}/admin/keys/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN}` } });
    expect(((await res.json()) as { status: string }).status).toBe('revoked');
    const error = await ask(secret).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((error as InstanceType<typeof OpenAI.APIError>).message).toMatch(/revoked/);
  });

  it("rotates a key: a new secret for the same key, its spend kept, the old secret refused at once", async () => {
    const { id, secret } = await createKey({ name: 'leaked', budget: { dailyUsd: 0.003 } });
    await ask(secret);
    await ask(secret);
    // No body: no grace period.
    const res = await fetch(`${gw.url}/admin/keys/${id}/rotate`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` } });
    expect(res.status).toBe(200);
    const rotated = (await res.json()) as Record<string, unknown> & { secret: string; preview: string };
    expect(rotated).toMatchObject({ id, name: 'leaked', status: 'active', budget: { dailyUsd: 0.003 } });
    expect(rotated.secret).toMatch(/^gw-/);
    expect(rotated.preview).toBe(`${rotated.secret.slice(0, 7)}…`);
    expect(rotated).not.toHaveProperty('hash');
    expect(rotated).not.toHaveProperty('previous');
    expect(typeof rotated.rotatedAt).toBe('string');

    const refused = await ask(secret).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OpenAI.AuthenticationError);
    // The same key, so the same budget: one request left of three, not a fresh budget.
    expect((await ask(rotated.secret)).choices[0]?.message.content).toBe('echo: hi');
    expect(statusOf(await ask(rotated.secret).catch((e: unknown) => e))).toBe(402);
    const shown = (await (await fetch(`${gw.url}/admin/keys/${id}`, { headers: { 'x-api-key': ADMIN } })).json()) as { usage: { spentUsd: { daily: number } } };
    expect(shown.usage.spentUsd.daily).toBeCloseTo(0.003, 6);
  });

  it('keeps the old secret working through its grace period only, and one old secret at a time', async () => {
    const { id, secret } = await createKey({ name: 'switching' });
    const rotate = async (body?: unknown) =>
      (await (await fetch(`${gw.url}/admin/keys/${id}/rotate`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify(body ?? {}) })).json()) as { secret: string; previous?: { preview: string; until: string } };
    await ask(secret); // cached on this replica: the grace must still end on time
    const second = await rotate({ graceSeconds: 60 });
    expect(second.previous?.preview).toBe(`${secret.slice(0, 7)}…`);
    expect(Date.parse(second.previous!.until) - Date.now()).toBeGreaterThan(58_000);
    expect(Date.parse(second.previous!.until) - Date.now()).toBeLessThanOrEqual(60_000);
    expect((await ask(secret)).choices[0]?.message.content).toBe('echo: hi');
    expect((await ask(second.secret)).choices[0]?.message.content).toBe('echo: hi');
    vi.advanceTimersByTime(61_000);
    expect(statusOf(await ask(secret).catch((e: unknown) => e))).toBe(401);
    expect((await ask(second.secret)).choices[0]?.message.content).toBe('echo: hi');

    // A rotation during another's grace ends that one: the secret it kept is refused at once.
    const third = await rotate({ graceSeconds: 3600 });
    const fourth = await rotate({ graceSeconds: 3600 });
    expect(statusOf(await ask(second.secret).catch((e: unknown) => e))).toBe(401);
    expect((await ask(third.secret)).choices[0]?.message.content).toBe('echo: hi');
    expect((await ask(fourth.secret)).choices[0]?.message.content).toBe('echo: hi');
  });

  it('refuses to rotate a revoked key (409) or an unknown one (404), or with a malformed grace (400)', async () => {
    const { id } = await createKey({ name: 'gone' });
    await fetch(`${gw.url}/admin/keys/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN}` } });
    const post = (path: string, body?: unknown) => fetch(`${gw.url}/admin/keys/${path}/rotate`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const revoked = await post(id);
    expect(revoked.status).toBe(409);
    expect(await revoked.json()).toMatchObject({ error: { code: 'key_revoked', type: 'invalid_request_error' } });
    expect((await post('key_nobody')).status).toBe(404);
    const { id: live } = await createKey({ name: 'graced' });
    // No grace, said with an empty body too, however it is sent.
    const empty = new ReadableStream({ start: (controller) => controller.close() });
    for (const init of [{ body: '' }, { body: empty, duplex: 'half' }]) {
      const res = await fetch(`${gw.url}/admin/keys/${live}/rotate`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` }, ...init } as RequestInit);
      expect(res.status).toBe(200);
      expect(await res.json()).not.toHaveProperty('previous');
    }
    for (const body of [{ graceSeconds: -1 }, { graceSeconds: 1.5 }, { graceSeconds: 8 * 86_400 }, { grace: 60 }]) {
      const bad = await post(live, body);
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/^Invalid rotation/);
    }
  });

  it('refuses an expired key, and will not make one already expired', async () => {
    const { secret } = await createKey({ name: 'old', expiresAt: new Date(Date.now() + 60_000).toISOString() });
    vi.advanceTimersByTime(61_000);
    expect(statusOf(await ask(secret).catch((e: unknown) => e))).toBe(401);
    // A year typed wrong: refused, rather than a key every request with it is refused for.
    const typo = await fetch(`${gw.url}/admin/keys`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'typo', expiresAt: '2020-01-01T00:00:00Z' }) });
    expect(typo.status).toBe(400);
    expect(((await typo.json()) as { error: { message: string } }).error.message).toBe('Invalid key: expiresAt 2020-01-01T00:00:00.000Z has already passed.');
  });

  it('holds a key to its models', async () => {
    const { secret } = await createKey({ name: 'narrow', models: ['fast', 'mock/*'] });
    expect((await ask(secret, 'fast')).choices).toHaveLength(1);
    expect((await ask(secret, 'mock/mock-large')).choices).toHaveLength(1);
    const error = await ask(secret, 'other/mock-small').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.PermissionDeniedError);
    // Embeddings go through the same checks.
    const embedding = await openai(secret).embeddings.create({ model: 'other/text-embedding', input: 'x' }).catch((e: unknown) => e);
    expect(embedding).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect((await openai(secret).embeddings.create({ model: 'mock/text-embedding', input: 'x' })).data).toHaveLength(1);
    expect((error as InstanceType<typeof OpenAI.APIError>).error).toMatchObject({ code: 'model_not_allowed', param: 'model' });
  });

  it('lists to a key only the models it may use, in /v1/models and one by one, and only their providers', async () => {
    // Providers that list their models, so the catalog holds them beside the virtual models.
    const listing = await startGateway({
      providers: { mock: { ...mockProvider(upstream), listModels: true }, other: { ...mockProvider(upstream), listModels: true } },
      models: { fast: { targets: ['mock/mock-small'] }, deep: { targets: ['other/mock-large'] } },
      plugins: [auth({ adminKey: ADMIN })],
    });
    try {
      const make = async (spec: Record<string, unknown>) =>
        ((await (await fetch(`${listing.url}/admin/keys`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify(spec) })).json()) as { secret: string }).secret;
      const [narrow, wide] = [await make({ name: 'lists-narrow', models: ['fast', 'mock/*'] }), await make({ name: 'lists-wide' })];
      const client = (secret: string) => new OpenAI({ baseURL: listing.baseURL, apiKey: secret, maxRetries: 0 });
      const ids = async (secret: string) => (await client(secret).models.list()).data.map((m) => m.id).sort();
      await vi.waitFor(async () => expect(await ids(wide)).toContain('other/mock-large'), { timeout: 5000 });
      expect(await ids(wide)).toEqual(['deep', 'fast', 'mock/mock-large', 'mock/mock-small', 'other/mock-large', 'other/mock-small']);
      expect(await ids(narrow)).toEqual(['fast', 'mock/mock-large', 'mock/mock-small']);
      expect((await client(narrow).models.retrieve('mock/mock-small')).id).toBe('mock/mock-small');
      expect(await client(narrow).models.retrieve('other/mock-small').catch((e: unknown) => e)).toBeInstanceOf(OpenAI.NotFoundError);
      expect((await client(wide).models.retrieve('other/mock-small')).id).toBe('other/mock-small');
      // Nor the providers of other models, and their deployments' health.
      await client(wide).chat.completions.create({ model: 'other/mock-small', messages: [{ role: 'user', content: 'x' }] });
      await client(narrow).chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'x' }] });
      const providers = async (secret: string) =>
        ((await (await fetch(`${listing.baseURL}/providers`, { headers: { authorization: `Bearer ${secret}` } })).json()) as { data: Array<{ id: string; deployments: Array<{ model: string }> }> }).data;
      expect((await providers(wide)).map((p) => [p.id, p.deployments.map((d) => d.model)])).toEqual([['mock', ['mock-small']], ['other', ['mock-small']]]);
      expect((await providers(narrow)).map((p) => [p.id, p.deployments.map((d) => d.model)])).toEqual([['mock', ['mock-small']]]);
      expect((await fetch(`${listing.baseURL}/providers/other/health`, { headers: { authorization: `Bearer ${narrow}` } })).status).toBe(404);
      expect((await fetch(`${listing.baseURL}/providers/other/health`, { headers: { authorization: `Bearer ${wide}` } })).status).toBe(200);
    } finally {
      await listing.close();
    }
  });

  it('lists only what every plugin that limits models lets a key see, auth and another beside it', async () => {
    // A plugin of the user's that keeps the large models out of every listing, beside auth.
    const noLarge = definePlugin({
      name: 'test:no-large-models',
      setup(host) {
        host.provide(modelVisibility, () => (model) => !model.endsWith('-large'));
      },
    });
    const listing = await startGateway({
      providers: { mock: { ...mockProvider(upstream), listModels: true }, other: { ...mockProvider(upstream), listModels: true } },
      models: { fast: { targets: ['mock/mock-small'] } },
      plugins: [auth({ adminKey: ADMIN }), noLarge()],
    });
    try {
      const make = async (spec: Record<string, unknown>) =>
        ((await (await fetch(`${listing.url}/admin/keys`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify(spec) })).json()) as { secret: string }).secret;
      const [narrow, wide] = [await make({ name: 'joined-narrow', models: ['fast', 'mock/*'] }), await make({ name: 'joined-wide' })];
      const ids = async (secret: string) => (await new OpenAI({ baseURL: listing.baseURL, apiKey: secret, maxRetries: 0 }).models.list()).data.map((m) => m.id).sort();
      await vi.waitFor(async () => expect(await ids(wide)).toContain('other/mock-small'), { timeout: 5000 });
      expect(await ids(wide)).toEqual(['fast', 'mock/mock-small', 'other/mock-small']);
      expect(await ids(narrow)).toEqual(['fast', 'mock/mock-small']);
    } finally {
      await listing.close();
    }
  });

  it('changes what a key may do (PATCH), at once on this replica; null clears a field', async () => {
    const { id, secret } = await createKey({ name: 'changing', models: ['other/*'] });
    expect(statusOf(await ask(secret).catch((e: unknown) => e))).toBe(403);
    const patch = (body: unknown) => fetch(`${gw.url}/admin/keys/${id}`, { method: 'PATCH', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const changed = await patch({ models: null, limits: { rpm: 1 } });
    expect(changed.status).toBe(200);
    const view = (await changed.json()) as Record<string, unknown>;
    expect(view).toMatchObject({ id, name: 'changing', limits: { rpm: 1 } });
    expect(view).not.toHaveProperty('models');
    expect(view).not.toHaveProperty('hash');
    expect((await ask(secret)).choices).toHaveLength(1);
    expect(statusOf(await ask(secret).catch((e: unknown) => e))).toBe(429);
    expect((await patch({ limits: { rpm: 0 } })).status).toBe(400);
    expect((await patch({ color: 'red' })).status).toBe(400);
    expect((await fetch(`${gw.url}/admin/keys/key_missing`, { method: 'PATCH', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: '{}' })).status).toBe(404);
  });

  it('answers 400 naming the problem when a new key is malformed', async () => {
    const res = await fetch(`${gw.url}/admin/keys`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x', limits: { rpm: -1 } }) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/rpm/);
  });
});

describe('limits and budgets', () => {
  it('answers 429 with Retry-After over the requests per minute', async () => {
    const { secret } = await createKey({ name: 'slow', limits: { rpm: 3 } });
    for (let i = 0; i < 3; i++) await ask(secret);
    const error = await ask(secret).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    const apiError = error as InstanceType<typeof OpenAI.APIError>;
    expect(apiError.error).toMatchObject({ code: 'rpm_exceeded' });
    expect(Number(apiError.headers?.get('retry-after'))).toBeGreaterThan(0);
  });

  it('holds a token-bucket rpm: a burst, then the refill rate', async () => {
    const { secret } = await createKey({ name: 'bursty', limits: { rpm: 120, algorithm: 'token-bucket', burst: 3 } });
    const burst = await Promise.allSettled(Array.from({ length: 5 }, () => ask(secret)));
    expect(burst.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    const refused = burst.find((r): r is PromiseRejectedResult => r.status === 'rejected')!.reason as InstanceType<typeof OpenAI.APIError>;
    expect(refused.status).toBe(429);
    expect(refused.headers?.get('retry-after')).toBe('1');
    // 120 per minute refills one every half second.
    vi.advanceTimersByTime(600);
    expect((await ask(secret)).choices).toHaveLength(1);
  });

  it('lets 50 parallel requests spend no more than the budget allows, then answers 402', async () => {
    const { id, secret } = await createKey({ name: 'capped', budget: { dailyUsd: 0.01 } });
    const results = await Promise.allSettled(Array.from({ length: 50 }, () => ask(secret)));
    const ok = results.filter((r) => r.status === 'fulfilled').length;
    expect(ok).toBe(10);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as InstanceType<typeof OpenAI.APIError>);
    expect(refused).toHaveLength(40);
    for (const error of refused) {
      expect(error.status).toBe(402);
      expect(error.error).toMatchObject({ code: 'daily_budget_exceeded' });
      expect(Number(error.headers?.get('retry-after'))).toBeGreaterThan(0);
    }
    const shown = (await (await fetch(`${gw.url}/admin/keys/${id}`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as { usage: { spentUsd: { daily: number } } };
    expect(shown.usage.spentUsd.daily).toBeCloseTo(0.01, 6);
  });
});

describe('rules on the caller', () => {
  it("routes by the key's team and name", async () => {
    const up = await startMockUpstream();
    const g = await startGateway({
      providers: { main: mockProvider(up), cheap: mockProvider(up) },
      plugins: [
        auth({ adminKey: ADMIN }),
        rules({
          rules: [
            { name: 'batch team', when: { team: 'batch' }, route: 'cheap/small' },
            { name: 'ci bots', when: { key: 'ci-*' }, route: 'cheap/tiny' },
          ],
        }),
      ],
    });
    try {
      const make = async (spec: Record<string, unknown>) =>
        ((await (await fetch(`${g.url}/admin/keys`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify(spec) })).json()) as { secret: string }).secret;
      const served = async (secret: string) => {
        const res = await new OpenAI({ baseURL: `${g.url}/v1`, apiKey: secret, maxRetries: 0 }).chat.completions.create({ model: 'main/big', messages: [{ role: 'user', content: 'x' }] }).withResponse();
        return `${res.response.headers.get('x-gateway-provider')}/${res.response.headers.get('x-gateway-model')}`;
      };
      expect(await served(await make({ name: 'nightly', team: 'batch' }))).toBe('cheap/small');
      expect(await served(await make({ name: 'ci-runner' }))).toBe('cheap/tiny');
      expect(await served(await make({ name: 'web' }))).toBe('main/big');
    } finally {
      await g.close();
      await up.close();
    }
  });
});

describe('team budgets', () => {
  let team: RunningGateway;
  beforeAll(async () => {
    team = await startGateway({
      providers: { mock: mockProvider(upstream) },
      plugins: [flatPricing(), auth({ adminKey: ADMIN, teams: { search: { budget: { dailyUsd: 0.003 } }, infra: { budget: { monthlyUsd: 0.005 } }, open: {} } })],
    });
  });
  afterAll(() => team?.close());

  const keyOf = async (spec: Record<string, unknown>) =>
    ((await (await fetch(`${team.url}/admin/keys`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify(spec) })).json()) as { secret: string }).secret;
  const askTeam = (secret: string) => new OpenAI({ baseURL: team.baseURL, apiKey: secret, maxRetries: 0 }).chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'hi' }] });

  it("hold every key of a team to the team's budget, on top of its own, and no key of another team", async () => {
    const [one, two, other] = [await keyOf({ name: 'search-web', team: 'search' }), await keyOf({ name: 'search-batch', team: 'search', budget: { dailyUsd: 1 } }), await keyOf({ name: 'ads-web', team: 'ads' })];
    await askTeam(one);
    await askTeam(two);
    await askTeam(one);
    for (const secret of [one, two]) {
      const refused = (await askTeam(secret).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
      expect(refused.status).toBe(402);
      expect(refused.code).toBe('team_daily_budget_exceeded');
      expect(refused.message).toMatch(/team 'search' has used its daily budget of \$0\.00/);
      expect(Number(refused.headers?.get('retry-after'))).toBeGreaterThan(0);
    }
    expect((await askTeam(other)).choices[0]?.message.content).toBe('echo: hi');
    const teams = (await (await fetch(`${team.url}/admin/teams`, { headers: { 'x-api-key': ADMIN } })).json()) as { data: Array<{ team: string; budget: unknown; spentUsd: Record<string, number> }> };
    expect(teams.data.map((t) => t.team)).toEqual(['search', 'infra']);
    expect(teams.data[0]).toMatchObject({ team: 'search', budget: { dailyUsd: 0.003 } });
    expect(teams.data[0]!.spentUsd.daily).toBeCloseTo(0.003, 6);
  });

  it('let 30 parallel requests over three keys of a team spend no more than its budget', async () => {
    const secrets = [await keyOf({ name: 'infra-a', team: 'infra' }), await keyOf({ name: 'infra-b', team: 'infra' }), await keyOf({ name: 'infra-c', team: 'infra' })];
    const results = await Promise.allSettled(Array.from({ length: 30 }, (_, i) => askTeam(secrets[i % 3]!)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
    for (const r of results) if (r.status === 'rejected') expect((r.reason as InstanceType<typeof OpenAI.APIError>).code).toBe('team_monthly_budget_exceeded');
  });

  it('are given, changed and taken back while running, over the config\'s, through the admin API', async () => {
    const admin = (method: string, path: string, body?: unknown) =>
      fetch(`${team.url}/admin/teams${path}`, { method, headers: { 'x-api-key': ADMIN, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const [ops, infra] = [await keyOf({ name: 'ops-web', team: 'ops' }), await keyOf({ name: 'infra-live', team: 'infra' })];
    await askTeam(ops);
    // A team without a budget is given one: its keys are held to it at once on this replica. It
    // counts from now, as a key's new budget does: without one, nothing was counted for the team.
    const given = await admin('PUT', '/ops', { budget: { dailyUsd: 0.002 } });
    expect(given.status).toBe(200);
    expect(await given.json()).toMatchObject({ team: 'ops', budget: { dailyUsd: 0.002 }, source: 'admin', spentUsd: { daily: 0 } });
    await askTeam(ops);
    await askTeam(ops);
    expect(((await askTeam(ops).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>).code).toBe('team_daily_budget_exceeded');
    // Raised: the same day's spend counts against the new limit.
    await admin('PUT', '/ops', { budget: { dailyUsd: 0.003 } });
    await askTeam(ops);
    expect(((await askTeam(ops).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>).code).toBe('team_daily_budget_exceeded');
    // Taken back: no budget again.
    expect((await admin('DELETE', '/ops')).status).toBe(200);
    await askTeam(ops);
    // A config team's budget (infra's monthly $0.005, spent here if the tests before did not) replaced, then given back.
    for (let i = 0; i < 5 && (await askTeam(infra).then(() => true, () => false)); i++);
    expect(((await askTeam(infra).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>).code).toBe('team_monthly_budget_exceeded');
    await admin('PUT', '/infra', { budget: { monthlyUsd: 1 } });
    expect((await askTeam(infra)).choices[0]?.message.content).toBe('echo: hi');
    const listed = (await (await admin('GET', '')).json()) as { data: Array<{ team: string; source: string; budget: unknown }> };
    expect(listed.data.find((t) => t.team === 'infra')).toMatchObject({ source: 'admin', budget: { monthlyUsd: 1 } });
    const back = await admin('DELETE', '/infra');
    expect(await back.json()).toEqual({ team: 'infra', deleted: true, inForce: { monthlyUsd: 0.005 } });
    expect(((await askTeam(infra).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>).code).toBe('team_monthly_budget_exceeded');
    // Refused with what is wrong, in OpenAI's error format.
    for (const [body, message] of [[{ budget: {} }, /give budget\.dailyUsd, budget\.monthlyUsd or both/], [{ budget: { dailyUsd: -1 } }, /dailyUsd must be >= 0/], [{}, /budget is required/]] as const) {
      const refused = await admin('PUT', '/ops', body);
      expect(refused.status).toBe(400);
      expect(((await refused.json()) as { error: { message: string } }).error.message).toMatch(message);
    }
    for (const name of ['x'.repeat(201), '%20padded%20']) expect((await admin('PUT', `/${name}`, { budget: { dailyUsd: 1 } })).status).toBe(400);
    const missing = await admin('DELETE', '/search');
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { code: string } }).error.code).toBe('team_budget_not_found');
  });

  it('are refused, malformed, with what is wrong', () => {
    expect(() => auth({ adminKey: ADMIN, teams: { search: { budget: { dailyUsd: -1 } } } })).toThrow('options/teams/search/budget/dailyUsd must be >= 0');
    expect(() => auth({ adminKey: ADMIN, teams: { search: { budget: { weeklyUsd: 5 } } } as never })).toThrow(/teams\/search\/budget/);
  });
});
