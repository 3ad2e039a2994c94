/**
 * gateway:alerts through real parts: the official openai client → a gateway on a real socket (auth
 * with budgets, the circuit breaker) → the mock upstream, and alerts POSTed to a webhook receiver
 * over a real socket. Two replicas on the real Redis send each alert once between them.
 */
import { createHmac } from 'node:crypto';
import OpenAI from 'openai';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { alerts, auth, circuitBreaker, dashboard, definePlugin, pricing, type GatewayConfig, type Pricing } from '../../../index.js';
import { startGateway, type RunningGateway } from '../../support/gateway.js';
import { mockProvider, startMockUpstream, type MockUpstream } from '../../support/mock-upstream.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../support/webhook-receiver.js';
import { webhooksFromEnv } from '../../../plugins/alerts/index.js';
import { silentLogger } from '../../../core/logger.js';

const REDIS_URL = process.env.REDIS_URL;
const ADMIN = 'alerts-admin-key-0123456789';
const SECRET = 'webhook-signing-secret-0123';

/** Every request costs (and reserves) `micros`. */
const flatPricing = (micros: number) =>
  definePlugin({ name: 'test:flat-pricing', setup: (host) => host.provide(pricing, { costMicros: () => micros, estimateMicros: () => micros } satisfies Pricing) })();

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((part) => part.close()));
});

async function setUp(config: (upstream: MockUpstream, receiver: WebhookReceiver) => GatewayConfig, replicas = 1) {
  const upstream = await startMockUpstream();
  const receiver = await startWebhookReceiver();
  open.push(upstream, receiver);
  const gateways: RunningGateway[] = [];
  for (let i = 0; i < replicas; i++) {
    const gateway = await startGateway(config(upstream, receiver));
    open.unshift(gateway);
    gateways.push(gateway);
  }
  const createKey = async (spec: Record<string, unknown>) =>
    ((await (await fetch(`${gateways[0]!.url}/admin/keys`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify(spec) })).json()) as { id: string; secret: string });
  const ask = (secret: string, replica = 0) =>
    new OpenAI({ baseURL: gateways[replica]!.baseURL, apiKey: secret, maxRetries: 0 }).chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'hi' }] });
  return { upstream, receiver, gateways, createKey, ask };
}

const refusal = (error: unknown) => (error as InstanceType<typeof OpenAI.APIError>).code;

describe('gateway:alerts, budgets', () => {
  it("tells each threshold of a key's window once, then its first refusal once, signed", async () => {
    const { receiver, createKey, ask } = await setUp((up, hook) => ({
      providers: { mock: mockProvider(up) },
      plugins: [flatPricing(1000), auth({ adminKey: ADMIN }), alerts({ webhooks: [{ url: hook.url, secret: SECRET }], budgets: { thresholds: [0.5, 0.8] } })],
    }));
    const key = await createKey({ name: 'ci-bot', budget: { dailyUsd: 0.005 } });
    for (let i = 0; i < 5; i++) await ask(key.secret);
    for (let i = 0; i < 3; i++) expect(refusal(await ask(key.secret).catch((e: unknown) => e))).toBe('daily_budget_exceeded');
    const [half, most, refused] = await receiver.waitFor(3);
    // Nothing more: each threshold once, the refusal once however many requests are refused.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(receiver.received).toHaveLength(3);

    const day = new Date().toISOString().slice(0, 10);
    expect(half!.body).toMatchObject({ type: 'budget.threshold', threshold: 0.5, owner: { kind: 'key', id: key.id, name: 'ci-bot' }, window: 'daily', period: day, limitUsd: 0.005, totalUsd: 0.003 });
    expect(most!.body).toMatchObject({ type: 'budget.threshold', threshold: 0.8, totalUsd: 0.004 });
    expect(most!.body.text).toBe(`Key 'ci-bot' (${key.id}) has used 80% of its daily budget of $0.005 (${day}, UTC): $0.004, counting requests in flight.`);
    expect(refused!.body).toMatchObject({ type: 'budget.refused', exhausted: true, owner: { kind: 'key', id: key.id }, window: 'daily', resetsAt: `${new Date(Date.parse(day) + 86_400_000).toISOString()}` });
    expect(refused!.body.text).toContain('its requests are refused (402) until it resets at');
    for (const hook of receiver.received) {
      const timestamp = hook.headers['x-llm-gateway-timestamp'] as string;
      expect(Math.abs(Number(timestamp) - Date.now() / 1000)).toBeLessThan(30);
      expect(hook.headers['x-llm-gateway-signature']).toBe(`sha256=${createHmac('sha256', SECRET).update(`${timestamp}.${hook.text}`).digest('hex')}`);
    }
  });

  it("tells only the highest threshold a window jumps past, and a team's budget in Slack's format", async () => {
    const { receiver, createKey, ask } = await setUp((up, hook) => ({
      providers: { mock: mockProvider(up) },
      plugins: [flatPricing(900_000), auth({ adminKey: ADMIN, teams: { search: { budget: { monthlyUsd: 1 } } } }), alerts({ webhooks: [{ url: hook.url, format: 'slack' }], budgets: { thresholds: [0.5, 0.8, 0.9] }, circuits: false })],
    }));
    const key = await createKey({ name: 'indexer', team: 'search' });
    await ask(key.secret);
    expect(refusal(await ask(key.secret).catch((e: unknown) => e))).toBe('team_monthly_budget_exceeded');
    const [jumped, refused] = await receiver.waitFor(2);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(receiver.received).toHaveLength(2);
    const month = new Date().toISOString().slice(0, 7);
    expect(jumped!.body).toEqual({ text: `Team 'search' has used 90% of its monthly budget of $1.00 (${month}, UTC): $0.90, counting requests in flight.` });
    // $0.90 spent of $1: refused because the next request could cost $0.90 more, not because it is spent.
    expect(refused!.body.text).toBe(`Team 'search' had a request refused (402) by its monthly budget of $1.00 (${month}, UTC): $0.90 is spent or reserved, and the request could cost more than is left. Smaller requests still pass.`);
  });

  it('never tells a lower threshold after a higher one, when requests in flight give their reservations back', async () => {
    const { receiver, gateways } = await setUp((up, hook) => ({ providers: { mock: mockProvider(up) }, plugins: [auth({ adminKey: ADMIN }), alerts({ webhooks: [{ url: hook.url }], budgets: { thresholds: [0.5, 0.8, 0.9] } })] }));
    const { events } = gateways[0]!.gateway;
    const spend = (totalUsd: number) =>
      events.emit('budget:spend', { key: { id: 'key_x', name: 'x', team: undefined, metadata: undefined }, owner: { kind: 'key', id: 'key_x', name: 'x' }, window: 'daily', period: '2026-12-05', limitUsd: 1, resetsAt: Date.now() + 60_000, totalUsd });
    spend(0.95);
    await receiver.waitFor(1);
    spend(0.85);
    spend(0.6);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(receiver.received.map((hook) => hook.body.threshold)).toEqual([0.9]);
  });

  it('sends a threshold again on the next settle when no webhook took it, and not once one did', async () => {
    const { receiver, gateways } = await setUp((up, hook) => ({ providers: { mock: mockProvider(up) }, plugins: [auth({ adminKey: ADMIN }), alerts({ webhooks: [{ url: hook.url }] })] }));
    const { events } = gateways[0]!.gateway;
    const spend = (totalUsd: number) =>
      events.emit('budget:spend', { key: { id: 'key_r', name: 'r', team: undefined, metadata: undefined }, owner: { kind: 'key', id: 'key_r', name: 'r' }, window: 'daily', period: '2026-12-05', limitUsd: 1, resetsAt: Date.now() + 60_000, totalUsd });
    // The receiver fails all three tries (1 s and 5 s apart): the alert is undelivered.
    receiver.answer(503, 503, 503);
    spend(0.85);
    await receiver.waitFor(3, 10_000);
    await new Promise((resolve) => setTimeout(resolve, 100));
    spend(0.86);
    const again = (await receiver.waitFor(4))[3];
    expect(again!.body).toMatchObject({ type: 'budget.threshold', threshold: 0.8, totalUsd: 0.86 });
    spend(0.9);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(receiver.received).toHaveLength(4);
  }, 20_000);

  // Before (a review of alerts at scale): a refusal for good was given back like a failure, so a
  // revoked webhook URL was sent the same alert on every occasion (a refusal a request: 109 calls in 5 s).
  it('does not send again an alert a webhook refused for good (a 4xx: a revoked or wrong URL)', async () => {
    const { receiver, gateways } = await setUp((up, hook) => ({ providers: { mock: mockProvider(up) }, plugins: [auth({ adminKey: ADMIN }), alerts({ webhooks: [{ url: hook.url }] })] }));
    const { events } = gateways[0]!.gateway;
    const spend = (totalUsd: number) =>
      events.emit('budget:spend', { key: { id: 'key_g', name: 'g', team: undefined, metadata: undefined }, owner: { kind: 'key', id: 'key_g', name: 'g' }, window: 'daily', period: '2026-12-05', limitUsd: 1, resetsAt: Date.now() + 60_000, totalUsd });
    receiver.answer(410);
    spend(0.85);
    await receiver.waitFor(1);
    for (let i = 0; i < 5; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      spend(0.86 + i / 100);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(receiver.received).toHaveLength(1);
  });

  it('counts a threshold in micro-dollars ($2.40 of $3 is 80 %), and tells nothing of a window that has reset', async () => {
    const { receiver, gateways } = await setUp((up, hook) => ({ providers: { mock: mockProvider(up) }, plugins: [auth({ adminKey: ADMIN }), alerts({ webhooks: [{ url: hook.url }] })] }));
    const { events } = gateways[0]!.gateway;
    const state = { key: { id: 'key_z', name: 'z', team: undefined, metadata: undefined }, owner: { kind: 'key', id: 'key_z', name: 'z' }, window: 'daily', limitUsd: 3 } as const;
    events.emit('budget:spend', { ...state, period: '2026-12-04', resetsAt: Date.now() - 1, totalUsd: 2.9 });
    events.emit('budget:spend', { ...state, period: '2026-12-05', resetsAt: Date.now() + 60_000, totalUsd: 2.4 });
    await receiver.waitFor(1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(receiver.received.map((hook) => [hook.body.period, hook.body.threshold])).toEqual([['2026-12-05', 0.8]]);
  });

  it('tells a refusal for too little left apart from one for a spent window, so the first does not hide the second', async () => {
    const { receiver, gateways } = await setUp((up, hook) => ({ providers: { mock: mockProvider(up) }, plugins: [auth({ adminKey: ADMIN }), alerts({ webhooks: [{ url: hook.url }] })] }));
    const { events } = gateways[0]!.gateway;
    const state = { key: { id: 'key_y', name: 'y', team: undefined, metadata: undefined }, owner: { kind: 'key', id: 'key_y', name: 'y' }, window: 'monthly', period: '2026-12', limitUsd: 1, resetsAt: Date.now() + 60_000 } as const;
    events.emit('budget:refusal', { ...state, totalUsd: 0.5 });
    events.emit('budget:refusal', { ...state, totalUsd: 0.6 });
    await receiver.waitFor(1);
    events.emit('budget:refusal', state);
    events.emit('budget:refusal', { ...state, totalUsd: 1 });
    await receiver.waitFor(2);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(receiver.received.map((hook) => hook.body.exhausted)).toEqual([false, true]);
  });

  it('sends nothing for a key without a budget, nor below the thresholds', async () => {
    const { receiver, createKey, ask } = await setUp((up, hook) => ({
      providers: { mock: mockProvider(up) },
      plugins: [flatPricing(1000), auth({ adminKey: ADMIN }), alerts({ webhooks: [{ url: hook.url }] })],
    }));
    const free = await createKey({ name: 'free' });
    const budgeted = await createKey({ name: 'budgeted', budget: { monthlyUsd: 1 } });
    for (let i = 0; i < 3; i++) await Promise.all([ask(free.secret), ask(budgeted.secret)]);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(receiver.received).toHaveLength(0);
  });
});

describe('gateway:alerts, circuits', () => {
  const setUpCircuit = (quietMs: number) =>
    setUp((up, hook) => ({
      providers: { mock: mockProvider(up) },
      plugins: [circuitBreaker({ failureThreshold: 2, cooldownMs: 100 }), alerts({ webhooks: [{ url: hook.url }], circuits: { quietMs } })],
    }));
  const failTwice = async (upstream: MockUpstream, post: () => Promise<Response>) => {
    upstream.enqueue({ status: 500, body: { error: { message: 'down' } } }, { status: 500, body: { error: { message: 'down' } } });
    expect((await post()).status).toBe(500);
    expect((await post()).status).toBe(500);
    expect((await post()).status).toBe(503);
  };
  const poster = (gateway: RunningGateway) => () =>
    fetch(`${gateway.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'x' }] }) });

  it("tells when a deployment's circuit opens and when it closes again", async () => {
    const { upstream, receiver, gateways } = await setUpCircuit(0);
    const post = poster(gateways[0]!);
    await failTwice(upstream, post);
    const [opened] = await receiver.waitFor(1);
    expect(opened!.body).toMatchObject({ type: 'circuit.open', deployment: 'mock/mock-small' });
    expect(opened!.body.text).toContain('Circuit open for mock/mock-small');
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect((await post()).status).toBe(200);
    const [, closed] = await receiver.waitFor(2);
    expect(closed!.body).toMatchObject({ type: 'circuit.closed', deployment: 'mock/mock-small' });
  });

  it('tells a flapping deployment once in its quiet time, and then the state it is in, never leaving the channel on one it left', async () => {
    const { upstream, receiver, gateways } = await setUpCircuit(700);
    const post = poster(gateways[0]!);
    await failTwice(upstream, post);
    await receiver.waitFor(1);
    // Closed and open again inside the quiet time: neither told then.
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect((await post()).status).toBe(200);
    await failTwice(upstream, post);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receiver.received.map((hook) => hook.body.type)).toEqual(['circuit.open']);
    // Open at the end of the quiet time, as last told: nothing more. Then it recovers, inside a new quiet time or not: told.
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(receiver.received.map((hook) => hook.body.type)).toEqual(['circuit.open']);
    expect((await post()).status).toBe(200);
    await receiver.waitFor(2);
    expect(receiver.received.map((hook) => hook.body.type)).toEqual(['circuit.open', 'circuit.closed']);
    // Open again at once (inside the quiet time of that alert): told when the quiet time ends, as it is still open.
    await failTwice(upstream, post);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(receiver.received).toHaveLength(2);
    await receiver.waitFor(3, 3000);
    expect(receiver.received.map((hook) => hook.body.type)).toEqual(['circuit.open', 'circuit.closed', 'circuit.open']);
  });
});

describe('gateway:alerts, keys', () => {
  afterEach(() => vi.useRealTimers());

  it('tells the keys that expire within the days given, together, once for each expiry date, on one look an hour', async () => {
    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
    const { receiver, gateways, createKey } = await setUp((up, hook) => ({
      providers: { mock: mockProvider(up) },
      plugins: [auth({ adminKey: ADMIN }), alerts({ webhooks: [{ url: hook.url }], keys: { expiringWithinDays: 3 } })],
    }));
    const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();
    // A batch of keys made together, expiring together: one alert, not 150 (a webhook queues at most 100).
    const batch = [];
    for (let i = 0; i < 150; i++) batch.push(await createKey({ name: `batch-${String(i).padStart(3, '0')}`, team: 'ops', expiresAt: inDays(2) }));
    const soonest = await createKey({ name: 'soonest', expiresAt: inDays(1) });
    await createKey({ name: 'later', expiresAt: inDays(30) });
    await createKey({ name: 'never' });
    const revoked = await createKey({ name: 'revoked', expiresAt: inDays(1) });
    await fetch(`${gateways[0]!.url}/admin/keys/${revoked.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN}` } });

    // Looked at when the gateway is ready, then hourly; here the keys were made after it started.
    const { events } = gateways[0]!.gateway;
    vi.setSystemTime(Date.now() + 3_600_000);
    events.emit('gateway:ready');
    const [told] = await receiver.waitFor(1);
    const keys = told!.body.keys as Array<{ id: string; name: string; team?: string; expiresAt: string }>;
    expect(keys).toHaveLength(151);
    expect(keys[0]).toEqual({ id: soonest.id, name: 'soonest', expiresAt: expect.any(String) });
    expect(new Set(keys.slice(1).map((key) => key.id))).toEqual(new Set(batch.map((key) => key.id)));
    expect(keys[1]).toMatchObject({ team: 'ops' });
    // Twenty named (an hour after they were made: the soonest in 23 hours), the rest counted.
    expect(told!.body.text).toMatch(/^151 keys expire: 'soonest' \(key_[\w-]+\) at [^;]+Z, in 23 h; 'batch-000' \(key_[\w-]+\) at [^;]+Z, in 2 days; .+; 'batch-018' [^;]+; and 131 more\. Their clients get 401 from then on, unless their expiresAt is changed\.$/);

    // Within the hour, a reload does not look again; the next hour's look tells nothing already told.
    events.emit('gateway:ready');
    vi.setSystemTime(Date.now() + 3_600_000);
    events.emit('gateway:ready');
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receiver.received).toHaveLength(1);

    // A new expiry date is told again, alone, in the hour after.
    const moved = inDays(2.5);
    await fetch(`${gateways[0]!.url}/admin/keys/${soonest.id}`, { method: 'PATCH', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ expiresAt: moved }) });
    vi.setSystemTime(Date.now() + 3_600_000);
    events.emit('gateway:ready');
    const [, again] = await receiver.waitFor(2);
    expect(again!.body).toMatchObject({ type: 'keys.expiring', keys: [{ id: soonest.id, expiresAt: moved }] });
    expect(again!.body.text).toBe(`Key 'soonest' (${soonest.id}) expires at ${moved}, in 2 days: its clients get 401 from then on, unless its expiresAt is changed.`);
  });

  it('takes its webhook from LLM_GATEWAY_ALERTS_WEBHOOK_URL when the config gives none (a JSON config keeps the secret out of the file)', async () => {
    // Restored key by key: \`process.env = copy\` would leave a plain object in its place, and later
    // files in this worker (a TZ set to test time zones) would change nothing.
    const before = { url: process.env.LLM_GATEWAY_ALERTS_WEBHOOK_URL, format: process.env.LLM_GATEWAY_ALERTS_WEBHOOK_FORMAT };
    try {
      const { receiver, gateways } = await setUp((up, hook) => {
        Object.assign(process.env, { LLM_GATEWAY_ALERTS_WEBHOOK_URL: hook.url, LLM_GATEWAY_ALERTS_WEBHOOK_FORMAT: 'slack' });
        return { providers: { mock: mockProvider(up) }, plugins: [['gateway:alerts', {}]] };
      });
      gateways[0]!.gateway.events.emit('circuit:change', 'mock/m', 'closed', 'open');
      const [hook] = await receiver.waitFor(1);
      expect(hook!.body).toEqual({ text: expect.stringContaining('Circuit open for mock/m') });
    } finally {
      for (const [name, value] of [['LLM_GATEWAY_ALERTS_WEBHOOK_URL', before.url], ['LLM_GATEWAY_ALERTS_WEBHOOK_FORMAT', before.format]] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    }
    expect(webhooksFromEnv({})).toEqual([]);
    expect(() => webhooksFromEnv({ LLM_GATEWAY_ALERTS_WEBHOOK_URL: 'ftp://hooks.example.com/SECRETPART' })).toThrow(/^gateway:alerts: LLM_GATEWAY_ALERTS_WEBHOOK_URL must match/);
    expect(() => webhooksFromEnv({ LLM_GATEWAY_ALERTS_WEBHOOK_URL: 'ftp://hooks.example.com/SECRETPART' })).not.toThrow(/SECRETPART/);
    expect(() => webhooksFromEnv({ LLM_GATEWAY_ALERTS_WEBHOOK_URL: 'https://h.example.com/x', LLM_GATEWAY_ALERTS_WEBHOOK_FORMAT: 'teams' })).toThrow(/LLM_GATEWAY_ALERTS_WEBHOOK_FORMAT must be one of/);
    expect(webhooksFromEnv({ LLM_GATEWAY_ALERTS_WEBHOOK_URL: 'https://h.example.com/x', LLM_GATEWAY_ALERTS_WEBHOOK_SECRET: 'a-secret-of-16-characters' })).toEqual([{ url: 'https://h.example.com/x', secret: 'a-secret-of-16-characters' }]);
  });

  it('starts without any webhook, saying so, and writes its alerts to the log', async () => {
    const lines: Array<{ level: string; message: string }> = [];
    const logger = { ...silentLogger, level: 'info' as const, info: (message: string) => void lines.push({ level: 'info', message }), warn: (message: string) => void lines.push({ level: 'warn', message }) };
    logger.child = () => logger;
    const before = process.env.LLM_GATEWAY_ALERTS_WEBHOOK_URL;
    delete process.env.LLM_GATEWAY_ALERTS_WEBHOOK_URL;
    try {
      const gateway = await startGateway({ providers: {}, plugins: [['gateway:alerts', {}]] }, { logger });
      open.unshift(gateway);
      gateway.gateway.events.emit('circuit:change', 'mock/m', 'closed', 'open');
      await vi.waitFor(() => expect(lines).toContainEqual({ level: 'info', message: 'alert: circuit.open' }));
      expect(lines).toContainEqual({ level: 'warn', message: 'gateway:alerts has no webhook (give it `webhooks`, or set LLM_GATEWAY_ALERTS_WEBHOOK_URL): alerts are only written to the log' });
    } finally {
      if (before !== undefined) process.env.LLM_GATEWAY_ALERTS_WEBHOOK_URL = before;
    }
  });

  it("shows the last alerts in a panel on the dashboard's Overview, newest first, escaped", async () => {
    const ADMIN_KEY = 'admin-key-of-the-alerts-panel';
    const { receiver, gateways } = await setUp((up, hook) => ({ providers: { mock: mockProvider(up) }, plugins: [alerts({ webhooks: [{ url: hook.url }] }), dashboard({ adminKey: ADMIN_KEY })] }));
    const overview = () => fetch(`${gateways[0]!.url}/dashboard`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } }).then((r) => r.text());
    expect(await overview()).toContain('<section class="panel" id="panel-alerts"><h3>Recent alerts</h3><p>No alerts yet.</p></section>');
    const { events } = gateways[0]!.gateway;
    events.emit('circuit:change', 'mock/first', 'closed', 'open');
    await vi.waitFor(async () => expect(await overview()).toContain('Circuit open for mock/first'), { timeout: 3000 });
    events.emit('circuit:change', 'mock/<b>second</b>', 'closed', 'open');
    await receiver.waitFor(2);
    await vi.waitFor(async () => expect(await overview()).toMatch(/<ul class="alerts"><li class="alert circuit-open"><time datetime="[^"]+">[^<]+ UTC<\/time> Circuit open for mock\/&lt;b&gt;second&lt;\/b&gt;: .*<\/li><li class="alert circuit-open">.*Circuit open for mock\/first: /), { timeout: 3000 });
  });

  it('never prints a webhook in a config error (a Slack URL is its secret)', () => {
    let message = '';
    try {
      alerts({ webhooks: [{ url: 'https://hooks.slack.com/services/T0/B0/SECRETPART', format: 'teams' as never }] });
    } catch (error) {
      message = `${(error as Error).message} ${JSON.stringify(error)}`;
    }
    expect(message).toContain('options/webhooks/0/format must be one of');
    expect(message).not.toContain('SECRETPART');
  });
});

describe.skipIf(!REDIS_URL)('gateway:alerts across replicas', () => {
  it('sends each alert once between two gateways on one Redis, however the requests are spread', async () => {
    const { receiver, createKey, ask } = await setUp(
      (up, hook) => ({
        store: REDIS_URL,
        providers: { mock: mockProvider(up) },
        plugins: [flatPricing(1000), auth({ adminKey: ADMIN, cacheTtlMs: 0 }), alerts({ webhooks: [{ url: hook.url }], budgets: { thresholds: [0.5] } })],
      }),
      2,
    );
    const key = await createKey({ name: `replicated-${Date.now()}`, budget: { dailyUsd: 0.01 } });
    const results = await Promise.allSettled(Array.from({ length: 30 }, (_, i) => ask(key.secret, i % 2)));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(10);
    await receiver.waitFor(2);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receiver.received.map((hook) => hook.body.type).sort()).toEqual(['budget.refused', 'budget.threshold']);
    expect(new Set(receiver.received.map((hook) => (hook.body.owner as { id: string }).id))).toEqual(new Set([key.id]));
  });
});
