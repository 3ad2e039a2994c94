/**
 * The prices OpenRouter lists with its models (`GET /models`: each model's `pricing`, USD per
 * token as decimal strings, https://openrouter.ai/docs/api-reference/list-available-models) price
 * the models the shipped table does not know, where nothing else can: a budget's reservation
 * before the call (OpenRouter states an answer's cost only in the answer), and an answer that
 * states no cost (a stream cut before its last event).
 *
 * Before its fix such a model reserved $0, so a key with a few cents left was let through with a
 * request that could cost dollars; and a cut stream was logged with no cost at all. Now the
 * OpenAI-format adapter reads the list's prices on a host that states its costs (`statedCost`, on by
 * default for openrouter.ai: plugins/openai/models.ts `listedPrice`), and gateway:cost prices with
 * them what its table and overrides lack (plugins/cost/listed-prices.ts).
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { auth, cost, tokenCounter, usageLogger } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { keySpend } from '../support/key-spend.js';
import { chunk, completion, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

const ADMIN = 'openrouter-listed-admin-key-0123456789';
/** $1 and $3 per million tokens; a cache read of "0" beside them is read as unlisted. */
const KIMI = { id: 'moonshotai/kimi-k2', pricing: { prompt: '0.000001', completion: '0.000003', request: '0', input_cache_read: '0' } };
/** A router whose price is the model it picks: no price. */
const AUTO = { id: 'openrouter/auto', pricing: { prompt: '-1', completion: '-1' } };

let upstream: MockUpstream;
let gw: RunningGateway;

beforeAll(async () => {
  upstream = await startMockUpstream({ models: [KIMI, AUTO, 'unpriced/model'] });
  gw = await startGateway({
    providers: {
      // The mock stands where openrouter.ai would; off that host the option says what the host is.
      openrouter: { type: 'openai-compatible', baseURL: upstream.baseURL, apiKey: 'sk-or-upstream', statedCost: true },
      // The same list from a host that states no costs: its prices are not read.
      plain: { type: 'openai-compatible', baseURL: upstream.baseURL, apiKey: 'sk-plain' },
    },
    plugins: [auth({ adminKey: ADMIN }), tokenCounter(), cost(), usageLogger()],
  });
  // The lists are read once the gateway is up.
  await vi.waitFor(() => expect(upstream.requests.filter((r) => r.path === '/v1/models')).toHaveLength(2), { timeout: 5000 });
  await new Promise((resolve) => setTimeout(resolve, 50));
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});
beforeEach(() => upstream.reset());
const { createKey, spentUsd, loggedCostUsd } = keySpend(() => gw.url, ADMIN);
const client = (secret: string) => new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: secret, maxRetries: 0 });

describe("OpenRouter's listed prices", () => {
  it('reserve what a request may cost: a key with a cent left is refused a request that may cost 3 cents', async () => {
    const key = await createKey(0.01);
    const asked = client(key.secret).chat.completions.create({ model: 'openrouter/moonshotai/kimi-k2', max_tokens: 10_000, messages: [{ role: 'user', content: 'hi' }] });
    await expect(asked).rejects.toMatchObject({ status: 402, code: 'daily_budget_exceeded' });
    expect(upstream.requests.filter((r) => r.path === '/v1/chat/completions')).toHaveLength(0);
    // One that fits is served, and billed what OpenRouter states.
    upstream.enqueue({ body: completion({ model: KIMI.id, usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15, cost: 0.000025, is_byok: false } }) });
    await client(key.secret).chat.completions.create({ model: 'openrouter/moonshotai/kimi-k2', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] });
    await expect.poll(() => spentUsd(key.id), { timeout: 3000 }).toBeCloseTo(0.000025, 9);
  });

  it('bill an answer that states no cost (a stream cut before its last event) at the listed price', async () => {
    const key = await createKey();
    upstream.enqueue({
      stream: {
        chunks: ['one ', 'two ', 'three'].map((content) => chunk({ content }, null, { model: KIMI.id })),
        chunkDelayMs: 20,
        cutAfter: 2,
      },
    });
    const stream = await client(key.secret).chat.completions.create({ model: 'openrouter/moonshotai/kimi-k2', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    await expect(
      (async () => {
        for await (const _ of stream) void _;
      })(),
    ).rejects.toThrow();
    // No stated cost: the counted tokens at $1 and $3 a million, more than nothing.
    await expect.poll(() => loggedCostUsd(key.id), { timeout: 3000 }).toBeGreaterThan(0);
    const logged = (await loggedCostUsd(key.id))!;
    expect(logged).toBeLessThan(0.001);
  });

  it('leave a model without a usable price unpriced: a router priced "-1", a model listed without pricing, a host that states no costs', async () => {
    for (const model of ['openrouter/openrouter/auto', 'openrouter/unpriced/model', 'plain/moonshotai/kimi-k2']) {
      const key = await createKey();
      upstream.enqueue({ body: completion({ model: 'x', usage: { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 } }) });
      await client(key.secret).chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }] });
      await expect.poll(() => loggedCostUsd(key.id), { timeout: 3000 }).toBeNull();
    }
  });
});
