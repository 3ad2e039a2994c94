/**
 * Two gateway replicas sharing the real Redis (REDIS_URL): a key created on one works on the other,
 * changes made to it on both at once all land, and its rate limit, budget and revocation hold
 * across both. CI sets REDIS_URL (.ci/run).
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { auth, circuitBreaker, cost, dashboard, definePlugin, pricing, rateLimits, routing, tokenCounter, usageLogger, type GatewayConfig, type Pricing } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { mockProvider, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { logInWithFetch } from '../plugins/dashboard/login.js';

const REDIS_URL = process.env.REDIS_URL;
const DATABASE_URL = process.env.DATABASE_URL;
if (!REDIS_URL) console.warn('REDIS_URL is not set: the replica tests (two gateways on one Redis) are skipped; .ci/run sets it.');
if (!DATABASE_URL) console.warn('DATABASE_URL is not set: the replica usage-log test (two gateways writing to PostgreSQL) is skipped; .ci/run sets it.');

const ADMIN = 'replica-admin-key-0123456789';
const flatPricing = definePlugin({
  name: 'test:flat-pricing',
  setup: (host) => host.provide(pricing, { costMicros: () => 1000, estimateMicros: () => 1000 } satisfies Pricing),
});

describe.skipIf(!REDIS_URL)('two replicas on one Redis', () => {
  let upstream: MockUpstream;
  let replicas: RunningGateway[];

  beforeAll(async () => {
    upstream = await startMockUpstream();
    const start = () =>
      startGateway({
        store: REDIS_URL,
        providers: { mock: mockProvider(upstream) },
        plugins: [flatPricing(), auth({ adminKey: ADMIN, cacheTtlMs: 0 })],
      });
    replicas = [await start(), await start()];
  });
  afterAll(async () => {
    await Promise.all((replicas ?? []).map((r) => r.close()));
    await upstream?.close();
  });

  const createKey = async (spec: Record<string, unknown>) => {
    const res = await fetch(`${replicas[0]!.url}/admin/keys`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify(spec) });
    return (await res.json()) as { id: string; secret: string };
  };
  const ask = (replica: number, secret: string) =>
    new OpenAI({ baseURL: replicas[replica]!.baseURL, apiKey: secret, maxRetries: 0 }).chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'hi' }] });

  it('share keys and revocations', async () => {
    const { id, secret } = await createKey({ name: 'shared' });
    expect((await ask(1, secret)).choices[0]?.message.content).toBe('echo: hi');
    await fetch(`${replicas[1]!.url}/admin/keys/${id}`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN}` } });
    expect((await ask(0, secret).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>).toMatchObject({ status: 401 });
  });

  it('share a rotation: the new secret works on both, the old one on neither', async () => {
    const { id, secret } = await createKey({ name: 'rotated' });
    expect((await ask(1, secret)).choices[0]?.message.content).toBe('echo: hi');
    const res = await fetch(`${replicas[0]!.url}/admin/keys/${id}/rotate`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` } });
    const rotated = (await res.json()) as { id: string; secret: string };
    expect(rotated.id).toBe(id);
    for (const replica of [0, 1]) {
      expect((await ask(replica, secret).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>).toMatchObject({ status: 401 });
      expect((await ask(replica, rotated.secret)).choices[0]?.message.content).toBe('echo: hi');
    }
  });

  it('keep every change two admins make to one key at the same moment through the admin API', async () => {
    const { id, secret } = await createKey({ name: 'contested' });
    const patches = [{ team: 'search' }, { models: ['mock/*'] }, { limits: { rpm: 600 } }, { budget: { dailyUsd: 50 } }, { metadata: { owner: 'ops' } }, { expiresAt: '2099-01-01T00:00:00.000Z' }];
    const answers = await Promise.all(
      patches.map((patch, i) => fetch(`${replicas[i % 2]!.url}/admin/keys/${id}`, { method: 'PATCH', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify(patch) })),
    );
    expect(answers.map((res) => res.status)).toEqual(patches.map(() => 200));
    for (const replica of replicas) {
      const res = await fetch(`${replica.url}/admin/keys/${id}`, { headers: { authorization: `Bearer ${ADMIN}` } });
      expect(await res.json()).toMatchObject({ name: 'contested', status: 'active', ...Object.assign({}, ...patches) });
    }
    expect((await ask(1, secret)).choices[0]?.message.content).toBe('echo: hi');
  });

  it('enforce one rate limit together', async () => {
    const { secret } = await createKey({ name: 'rpm-shared', limits: { rpm: 6 } });
    const results = await Promise.allSettled(Array.from({ length: 12 }, (_, i) => ask(i % 2, secret)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(6);
    for (const r of results) if (r.status === 'rejected') expect((r.reason as InstanceType<typeof OpenAI.APIError>).status).toBe(429);
  });

  it('enforce one budget together, under 50 parallel requests', async () => {
    const { secret } = await createKey({ name: 'budget-shared', budget: { dailyUsd: 0.01 } });
    const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => ask(i % 2, secret)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(10);
    for (const r of results) if (r.status === 'rejected') expect((r.reason as InstanceType<typeof OpenAI.APIError>).status).toBe(402);
  });
});

describe.skipIf(!REDIS_URL)('round-robin across replicas', () => {
  it('keeps one cursor in Redis, so replicas take turns together', async () => {
    const a = await startMockUpstream();
    const b = await startMockUpstream();
    const model = `rr-${Date.now()}`;
    const start = () =>
      startGateway({
        store: REDIS_URL,
        providers: { a: mockProvider(a), b: mockProvider(b) },
        models: { [model]: { strategy: 'round-robin', targets: ['a/m', 'b/m'] } },
        plugins: [routing()],
      });
    const replicas = [await start(), await start()];
    try {
      const served: string[] = [];
      for (let i = 0; i < 6; i++) {
        const res = await fetch(`${replicas[i % 2]!.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model, messages: [{ role: 'user', content: 'x' }] }) });
        served.push(res.headers.get('x-gateway-provider') ?? '?');
      }
      // Alone, each replica would serve a, a, ... on its own first turn; together they alternate.
      expect(served).toEqual(['a', 'b', 'a', 'b', 'a', 'b']);
    } finally {
      await Promise.all(replicas.map((r) => r.close()));
      await a.close();
      await b.close();
    }
  });
});

describe.skipIf(!REDIS_URL)('provider limits across replicas', () => {
  it('count one deployment rpm for both', async () => {
    const provider = `p${Date.now()}`;
    await withTwoReplicas(
      (up) => ({ store: REDIS_URL, providers: { [provider]: mockProvider(up) }, plugins: [rateLimits({ limits: { [provider]: { rpm: 4 } } })] }),
      async (replicas) => {
        const statuses: number[] = [];
        for (let i = 0; i < 8; i++) {
          const res = await fetch(`${replicas[i % 2]!.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: `${provider}/m`, messages: [{ role: 'user', content: 'x' }] }) });
          statuses.push(res.status);
        }
        expect(statuses.filter((s) => s === 200)).toHaveLength(4);
        expect(statuses.filter((s) => s === 429)).toHaveLength(4);
      },
    );
  });
});

describe.skipIf(!REDIS_URL)('team budgets across replicas', () => {
  it("hold one team's budget for every key of it on both", async () => {
    // A team of its own each run: what it spent stays in Redis for the month.
    const team = `team-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
    await withTwoReplicas(
      (up) => ({ store: REDIS_URL, providers: { mock: mockProvider(up) }, plugins: [flatPricing(), auth({ adminKey: ADMIN, cacheTtlMs: 0, teams: { [team]: { budget: { monthlyUsd: 0.004 } } } })] }),
      async (replicas) => {
        const make = async (replica: number, name: string) =>
          ((await (await fetch(`${replicas[replica]!.url}/admin/keys`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ name, team }) })).json()) as { secret: string }).secret;
        const secrets = [await make(0, 'one'), await make(1, 'two')];
        const results = await Promise.allSettled(
          Array.from({ length: 20 }, (_, i) => new OpenAI({ baseURL: replicas[i % 2]!.baseURL, apiKey: secrets[Math.floor(i / 2) % 2]!, maxRetries: 0 }).chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'hi' }] })),
        );
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(4);
        for (const r of results) if (r.status === 'rejected') expect((r.reason as InstanceType<typeof OpenAI.APIError>).code).toBe('team_monthly_budget_exceeded');
      },
    );
  });

  it('hold a budget given on one replica on the other within a refresh, and let it go when it is taken back', async () => {
    const team = `live-team-${Date.now()}-${Math.floor(Math.random() * 1e6)}`;
    await withTwoReplicas(
      (up) => ({ store: REDIS_URL, providers: { mock: mockProvider(up) }, plugins: [flatPricing(), auth({ adminKey: ADMIN, cacheTtlMs: 0 })] }),
      async (replicas) => {
        const admin = (replica: number, method: string, path: string, body?: unknown) =>
          fetch(`${replicas[replica]!.url}${path}`, { method, headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
        const { secret } = (await (await admin(0, 'POST', '/admin/keys', { name: 'live', team })).json()) as { secret: string };
        const ask = (replica: number) => new OpenAI({ baseURL: replicas[replica]!.baseURL, apiKey: secret, maxRetries: 0 }).chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'hi' }] });
        const refusedOn = (replica: number) => ask(replica).then(() => undefined, (e: unknown) => (e as InstanceType<typeof OpenAI.APIError>).code);
        expect((await admin(0, 'PUT', `/admin/teams/${team}`, { budget: { dailyUsd: 0.002 } })).status).toBe(200);
        await ask(0);
        await ask(0);
        expect(await refusedOn(0)).toBe('team_daily_budget_exceeded');
        // The other replica reads the stored budgets every second (the key cache time, here 0, or a second).
        await vi.waitFor(async () => expect(await refusedOn(1)).toBe('team_daily_budget_exceeded'), { timeout: 3000, interval: 100 });
        const listed = (await (await admin(1, 'GET', '/admin/teams')).json()) as { data: Array<{ team: string; source: string; spentUsd: { daily: number } }> };
        expect(listed.data.find((t) => t.team === team)).toMatchObject({ source: 'admin', spentUsd: { daily: 0.002 } });
        expect((await admin(1, 'DELETE', `/admin/teams/${team}`)).status).toBe(200);
        expect(await refusedOn(1)).toBeUndefined();
        await vi.waitFor(async () => expect(await refusedOn(0)).toBeUndefined(), { timeout: 3000, interval: 100 });
      },
    );
  });
});

describe.skipIf(!REDIS_URL)('dashboard logins across replicas', () => {
  it("count one client's failed logins on both, so two replicas allow the attempts of one", async () => {
    // Behind one balancer (one trusted hop). A /64 of its own each run: the counts live in Redis for the window.
    const client = `2001:db8:${Math.floor(Math.random() * 0xffff).toString(16)}:${Math.floor(Math.random() * 0xffff).toString(16)}::`;
    const from = (host: number) => ({ 'x-forwarded-for': `${client}${host}` });
    await withTwoReplicas(
      (up) => ({ store: REDIS_URL, server: { trustedProxies: 1 }, providers: { mock: mockProvider(up) }, plugins: [dashboard({ adminKey: ADMIN, loginAttempts: 3 })] }),
      async (replicas) => {
        expect((await logInWithFetch(replicas[0]!.url, 'wrong-key-number-one', from(1))).status).toBe(401);
        expect((await logInWithFetch(replicas[1]!.url, 'wrong-key-number-two', from(2))).status).toBe(401);
        // A success takes back its own attempt and no other (it may be someone else behind the
        // same /64): one failure more, on either replica, is the third and the last.
        expect((await logInWithFetch(replicas[1]!.url, ADMIN, from(3))).status).toBe(303);
        expect((await logInWithFetch(replicas[0]!.url, 'wrong-key-number-four', from(4))).status).toBe(401);
        for (const replica of replicas) {
          const blocked = await logInWithFetch(replica.url, ADMIN, from(7));
          expect(blocked.status).toBe(429);
          expect(Number(blocked.retryAfter)).toBeGreaterThan(800);
        }
      },
    );
  });
});

describe.skipIf(!REDIS_URL)('circuit breaker across replicas', () => {
  it('opens for both when failures on either reach the threshold', async () => {
    // At the start of a failure-window bucket: two failures on either side of a bucket's start
    // count as just under 2 in the sliding window (see test/plugins/circuit-breaker/circuit-breaker.test.ts).
    // (The provider's name, which keys its circuit in Redis, is taken from the real clock first.)
    const provider = `cb${Date.now()}`;
    const windowMs = 60_000;
    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
    vi.setSystemTime(Math.ceil(Date.now() / windowMs) * windowMs + 1);
    try {
      await withTwoReplicas(
        (up) => ({ store: REDIS_URL, providers: { [provider]: mockProvider(up) }, plugins: [circuitBreaker({ failureThreshold: 2, windowMs, cooldownMs: 60_000 })] }),
        async (replicas, up) => {
          const post = (i: number) => fetch(`${replicas[i]!.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: `${provider}/m`, messages: [{ role: 'user', content: 'x' }] }) });
          up.enqueue({ status: 500, body: { error: { message: 'down' } } }, { status: 500, body: { error: { message: 'down' } } });
          expect((await post(0)).status).toBe(500);
          expect((await post(1)).status).toBe(500);
          const refused = await post(0);
          expect(refused.status).toBe(503);
          expect(((await refused.json()) as { error: { code: string } }).error.code).toBe('circuit_open');
          expect((await post(1)).status).toBe(503);
          expect(up.requests.filter((r) => r.path === '/v1/chat/completions')).toHaveLength(2);
        },
      );
    } finally {
      vi.useRealTimers();
    }
  });
});

describe.skipIf(!REDIS_URL || !DATABASE_URL)('two replicas on Redis and PostgreSQL', () => {
  it('a key created on one is limited on both, and both write its usage to one log', async () => {
    await withTwoReplicas(
      (up) => ({
        store: REDIS_URL,
        usageLog: DATABASE_URL,
        providers: { mock: mockProvider(up) },
        plugins: [auth({ adminKey: ADMIN, cacheTtlMs: 0 }), tokenCounter({ preload: false }), cost({ prices: { 'mock/mock-small': { input: 1, output: 2 } } }), usageLogger()],
      }),
      async (replicas) => {
        const created = await fetch(`${replicas[0]!.url}/admin/keys`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'pg', limits: { rpm: 5 } }) });
        const { id, secret } = (await created.json()) as { id: string; secret: string };
        const results = await Promise.allSettled(
          Array.from({ length: 8 }, (_, i) => new OpenAI({ baseURL: replicas[i % 2]!.baseURL, apiKey: secret, maxRetries: 0 }).chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'x' }] })),
        );
        expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
        const usage = async (replica: number) => {
          const res = await fetch(`${replicas[replica]!.url}/admin/usage?keyId=${id}&groupBy=keyId,model`, { headers: { authorization: `Bearer ${ADMIN}` } });
          return ((await res.json()) as { data: Array<{ requests: number; promptTokens: number; completionTokens: number; costUsd: number; model: string }> }).data;
        };
        // All eight are recorded by whichever replica took them: five answered, three refused with
        // 429 before reaching any model (so under model null, costing nothing).
        const total = async (replica: number) => (await usage(replica)).reduce((n, r) => n + r.requests, 0);
        await expect.poll(() => total(1), { timeout: 5000 }).toBe(8);
        const rows = await usage(0);
        const served = rows.find((r) => r.model === 'mock-small');
        expect(served).toMatchObject({ requests: 5, promptTokens: 5 * 5, completionTokens: 5 * 2 });
        expect(served!.costUsd).toBeCloseTo((5 * 5 * 1 + 5 * 2 * 2) / 1e6, 12);
        expect(rows.find((r) => r.model === null)).toMatchObject({ requests: 3, promptTokens: 0, costUsd: 0 });
      },
    );
  });
});

/** Two gateways on one config (the shared stores), in front of one mock upstream; all closed after `work`, whatever it does. */
async function withTwoReplicas(config: (up: MockUpstream) => GatewayConfig, work: (replicas: RunningGateway[], up: MockUpstream) => Promise<void>): Promise<void> {
  const up = await startMockUpstream();
  const replicas = [await startGateway(config(up)), await startGateway(config(up))];
  try {
    await work(replicas, up);
  } finally {
    await Promise.all(replicas.map((r) => r.close()));
    await up.close();
  }
}
