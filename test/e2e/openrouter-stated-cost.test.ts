/**
 * What an answer through OpenRouter costs a gateway key. OpenRouter states each answer's cost in
 * its usage, in credits (USD): `usage.cost`, "included in the last SSE message for streaming
 * responses, or in the complete response", and for a request on the user's own provider key
 * (`is_byok: true`) the provider's own charge apart, `cost_details.upstream_inference_cost`
 * (https://openrouter.ai/docs/use-cases/usage-accounting). OpenRouter serves hundreds of models,
 * most of which the shipped price table does not list.
 *
 * Before its fix such a model cost nothing: `costUsd: null` in the log, $0 against the key's budget
 * (the budget never closed), and a listed one cost the table's price rather than OpenRouter's bill.
 * Now a host that states its cost (`statedCost`, on by default for openrouter.ai) has it billed
 * (plugins/openai/host-usage.ts, kept under a symbol: core/protocol/stated-cost.ts; plugins/cost),
 * streams and whole answers alike.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { auth, cost, usageLogger } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { keySpend } from '../support/key-spend.js';
import { chunk, completion, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

const ADMIN = 'openrouter-cost-admin-key-0123456789';

let upstream: MockUpstream;
let gw: RunningGateway;

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({
    providers: {
      // The mock stands where openrouter.ai would; off that host the option says what the host does.
      openrouter: { type: 'openai-compatible', baseURL: upstream.baseURL, apiKey: 'sk-or-upstream', listModels: false, statedCost: true },
      plain: { type: 'openai-compatible', baseURL: upstream.baseURL, apiKey: 'sk-plain', listModels: false },
    },
    plugins: [auth({ adminKey: ADMIN }), cost(), usageLogger()],
  });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});
beforeEach(() => upstream.reset());
const { createKey, spentUsd, loggedCostUsd } = keySpend(() => gw.url, ADMIN);
const client = (secret: string) => new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: secret, maxRetries: 0 });

const TOKENS = { prompt_tokens: 1_000, completion_tokens: 100, total_tokens: 1_100 };

describe("OpenRouter's stated cost is what a key pays", () => {
  it('a model the price table does not list: the stated cost, in the budget and the log', async () => {
    const key = await createKey();
    upstream.enqueue({ body: completion({ model: 'moonshotai/kimi-k2', usage: { ...TOKENS, cost: 0.00123, is_byok: false } }) });
    await client(key.secret).chat.completions.create({ model: 'openrouter/moonshotai/kimi-k2', messages: [{ role: 'user', content: 'hi' }] });
    await expect.poll(() => loggedCostUsd(key.id), { timeout: 3000 }).toBeCloseTo(0.00123, 9);
    expect(await spentUsd(key.id)).toBeCloseTo(0.00123, 9);
  });

  it("a model the table lists: OpenRouter's bill, not the table's price", async () => {
    const key = await createKey();
    // gpt-4o at the table's $2.50 / $10 would be $0.0035.
    upstream.enqueue({ body: completion({ model: 'openai/gpt-4o', usage: { ...TOKENS, cost: 0.0042, is_byok: false } }) });
    await client(key.secret).chat.completions.create({ model: 'openrouter/openai/gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
    await expect.poll(() => spentUsd(key.id), { timeout: 3000 }).toBeGreaterThan(0);
    expect(await spentUsd(key.id)).toBeCloseTo(0.0042, 9);
  });

  it('a stream: the cost its last event states', async () => {
    const key = await createKey();
    const model = { model: 'moonshotai/kimi-k2' };
    upstream.enqueue({
      stream: {
        chunks: [
          chunk({ role: 'assistant', content: '' }, null, { ...model, usage: null }),
          chunk({ content: 'hi' }, null, { ...model, usage: null }),
          chunk({}, 'stop', { ...model, usage: null }),
          { ...chunk({}, null, model), choices: [], usage: { ...TOKENS, cost: 0.00077, is_byok: false } },
        ],
      },
    });
    const stream = await client(key.secret).chat.completions.create({ model: 'openrouter/moonshotai/kimi-k2', stream: true, messages: [{ role: 'user', content: 'hi' }] });
    for await (const _ of stream) void _;
    await expect.poll(() => spentUsd(key.id), { timeout: 3000 }).toBeGreaterThan(0);
    expect(await spentUsd(key.id)).toBeCloseTo(0.00077, 9);
  });

  it("on the user's own provider key (BYOK): OpenRouter's fee and the provider's charge together", async () => {
    const key = await createKey();
    upstream.enqueue({ body: completion({ model: 'moonshotai/kimi-k2', usage: { ...TOKENS, cost: 0.0001, is_byok: true, cost_details: { upstream_inference_cost: 0.002 } } }) });
    await client(key.secret).chat.completions.create({ model: 'openrouter/moonshotai/kimi-k2', messages: [{ role: 'user', content: 'hi' }] });
    await expect.poll(() => spentUsd(key.id), { timeout: 3000 }).toBeGreaterThan(0);
    expect(await spentUsd(key.id)).toBeCloseTo(0.0021, 9);
  });

  it('a host not known to state its cost: `usage.cost` is not read (the table prices what it lists)', async () => {
    const key = await createKey();
    upstream.enqueue({ body: completion({ model: 'gpt-4o', usage: { ...TOKENS, cost: 99 } }) });
    await client(key.secret).chat.completions.create({ model: 'plain/gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
    await expect.poll(() => spentUsd(key.id), { timeout: 3000 }).toBeGreaterThan(0);
    expect(await spentUsd(key.id)).toBeCloseTo(0.0035, 9);
  });

  it('a stated cost that is not a sane amount (negative, not a number) is not billed: the table, else nothing', async () => {
    const key = await createKey();
    upstream.enqueue({ body: completion({ model: 'openai/gpt-4o', usage: { ...TOKENS, cost: -5, is_byok: false } }) });
    upstream.enqueue({ body: completion({ model: 'openai/gpt-4o', usage: { ...TOKENS, cost: 'lots', is_byok: false } }) });
    await client(key.secret).chat.completions.create({ model: 'openrouter/openai/gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
    await client(key.secret).chat.completions.create({ model: 'openrouter/openai/gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
    await expect.poll(() => spentUsd(key.id), { timeout: 3000 }).toBeCloseTo(0.007, 9);
  });
});
