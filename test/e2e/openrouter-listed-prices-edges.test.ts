/**
 * OpenRouter's listed prices (test/e2e/openrouter-listed-prices.test.ts) under the names clients
 * use and across a live change of the provider.
 *
 * Before its fix (found by a helper review of c8725a8): a listed model was found only under its
 * exact id, so `MoonshotAI/Kimi-K2`, or OpenRouter's routing variants `:nitro` and `:floor` (which
 * its list has no entry of), reserved $0 and let a key with a cent left through; and after a live
 * change pointed the provider id at another host, OpenRouter's prices stayed on that id until a
 * restart, so a self-hosted model was reserved and billed at them. Now a lookup ignores case and
 * falls back from a variant to its listed model, and the prices hold only while the provider
 * instance that listed them serves the id (plugins/cost/listed-prices.ts `follow`).
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { auth, cost, tokenCounter, usageLogger } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { keySpend } from '../support/key-spend.js';
import { completion, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

const ADMIN = 'listed-prices-edges-admin-key-0123456789';
/** $1 and $3 per million tokens. */
const KIMI = { id: 'moonshotai/kimi-k2', pricing: { prompt: '0.000001', completion: '0.000003' } };

let openrouter: MockUpstream;
let local: MockUpstream;
let gw: RunningGateway;

beforeAll(async () => {
  openrouter = await startMockUpstream({ models: [KIMI] });
  local = await startMockUpstream({ models: ['moonshotai/kimi-k2'] });
  gw = await startGateway({
    server: { adminKey: ADMIN },
    providers: { openrouter: { type: 'openai-compatible', baseURL: openrouter.baseURL, apiKey: 'sk-or-upstream', statedCost: true } },
    plugins: [auth(), tokenCounter(), cost(), usageLogger()],
  });
  await vi.waitFor(() => expect(openrouter.requests.filter((r) => r.path === '/v1/models')).toHaveLength(1), { timeout: 5000 });
  await new Promise((resolve) => setTimeout(resolve, 50));
});
afterAll(async () => {
  await gw?.close();
  await openrouter?.close();
  await local?.close();
});
beforeEach(() => {
  openrouter.reset();
  local.reset();
});
const { createKey, loggedCostUsd } = keySpend(() => gw.url, ADMIN);
const client = (secret: string) => new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: secret, maxRetries: 0 });
const adminHeaders = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };

describe('listed prices: what the model is named', () => {
  it('the listed id as listed is reserved (refused with a cent left)', async () => {
    const key = await createKey(0.01);
    await expect(client(key.secret).chat.completions.create({ model: 'openrouter/moonshotai/kimi-k2', max_tokens: 10_000, messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({ status: 402 });
  });

  it('the same model in other case is reserved too, as the table matches without case', async () => {
    const key = await createKey(0.01);
    openrouter.enqueue({ body: completion({ model: KIMI.id, usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 } }) });
    await expect(client(key.secret).chat.completions.create({ model: 'openrouter/MoonshotAI/Kimi-K2', max_tokens: 10_000, messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({ status: 402 });
  });

  it("OpenRouter's variant suffixes (:nitro, :floor) of a listed model are reserved too", async () => {
    for (const variant of [':nitro', ':floor']) {
      const key = await createKey(0.01);
      openrouter.enqueue({ body: completion({ model: KIMI.id, usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 } }) });
      await expect(client(key.secret).chat.completions.create({ model: `openrouter/moonshotai/kimi-k2${variant}`, max_tokens: 10_000, messages: [{ role: 'user', content: 'hi' }] }), variant).rejects.toMatchObject({ status: 402 });
    }
  });
});

describe('listed prices: leaks', () => {
  it('/v1/models, /ready and the provider health show no price', async () => {
    const key = await createKey();
    const models = await (await fetch(`${gw.url}/v1/models`, { headers: { authorization: `Bearer ${key.secret}` } })).text();
    expect(models).toContain('moonshotai/kimi-k2');
    expect(models).not.toMatch(/price|pricing/);
    const ready = await (await fetch(`${gw.url}/ready`)).text();
    expect(ready).not.toMatch(/price|pricing/);
  });
});

describe('listed prices and a live change that points the provider id at another host', () => {
  const ask = (secret: string) => {
    local.enqueue({ body: completion({ model: 'moonshotai/kimi-k2', usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 } }) });
    return client(secret).chat.completions.create({ model: 'openrouter/moonshotai/kimi-k2', max_tokens: 10_000, messages: [{ role: 'user', content: 'hi' }] });
  };

  it("a host that lists no models (listModels: false): OpenRouter's old prices must not price its model", async () => {
    await gw.gateway.live.set('provider', 'openrouter', { type: 'openai-compatible', baseURL: local.baseURL, apiKey: 'sk-local-host-typed-0000', listModels: false } as never, 'test');
    await new Promise((resolve) => setTimeout(resolve, 100));
    // A self-hosted model: the gateway has no price for it, so a key with a cent left is served...
    const poor = await createKey(0.01);
    await expect(ask(poor.secret)).resolves.toBeDefined();
  });

  it('...and its answers are logged without a cost, not at the price OpenRouter listed before the change', async () => {
    const key = await createKey();
    await ask(key.secret);
    await expect.poll(() => loggedCostUsd(key.id), { timeout: 3000 }).toBeNull();
  });

  it('a host that lists its models without prices replaces them too', async () => {
    await gw.gateway.live.set('provider', 'openrouter', { type: 'openai-compatible', baseURL: local.baseURL, apiKey: 'sk-local-host-typed-0000' } as never, 'test');
    await vi.waitFor(() => expect(local.requests.filter((r) => r.path === '/v1/models')).toHaveLength(1), { timeout: 5000 });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const key = await createKey(0.01);
    await expect(ask(key.secret)).resolves.toBeDefined();
    await expect.poll(() => loggedCostUsd(key.id), { timeout: 3000 }).toBeNull();
  });
});
