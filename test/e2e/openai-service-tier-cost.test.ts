/**
 * OpenAI bills a request at the service tier that served it: `service_tier: "flex"` at Batch API
 * rates (half of standard), `"priority"` at the priority rates (twice standard on gpt-5.4:
 * $5 / $0.50 / $30 per million against $2.50 / $0.25 / $15). The answer says which tier served it
 * (`service_tier` of the chat completion, of each chunk, and of the Response object).
 *
 * https://developers.openai.com/api/docs/guides/flex-processing: "Tokens are priced at Batch API
 * rates, with additional discounts from prompt caching."
 * https://openai.com/api-priority-processing/: "GPT-5.4 excludes long context $5.00 $0.500 $30.00"
 * (input, cached input, output per 1M tokens, priority).
 * Chat completion object, `service_tier`: "When the service_tier parameter is set, the response
 * body will include the service_tier value based on the processing mode actually used to serve the
 * request."
 *
 * Before its fix every case failed: a priority answer was billed and reserved at standard rates
 * (a budget could be passed), a flex one at twice its price. Now the answer's tier is carried in its
 * usage (plugins/openai/host-usage.ts `carryServiceTier`, the Responses translation) and priced by
 * the row's `serviceTiers` (plugins/cost `ratesAt`), the reservation too.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { auth, cost, usageLogger } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { keySpend } from '../support/key-spend.js';
import { chunk, completion, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { responsesObject } from '../../sdk/testing/responses-wire.js';

const ADMIN = 'openai-cost-admin-key-0123456789';

let upstream: MockUpstream;
let gw: RunningGateway;

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({
    providers: { openai: { type: 'openai', apiKey: 'sk-upstream', baseURL: upstream.baseURL, listModels: false } },
    plugins: [auth({ adminKey: ADMIN }), cost(), usageLogger()],
  });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});
beforeEach(() => upstream.reset());
const { createKey, spentUsd, loggedCostUsd: loggedCost } = keySpend(() => gw.url, ADMIN);

// 100 000 prompt tokens and 10 000 completion tokens on gpt-5.4:
// standard $0.25 + $0.15 = $0.40; priority $0.50 + $0.30 = $0.80; flex (batch, half) $0.20.
const USAGE = { prompt_tokens: 100_000, completion_tokens: 10_000, total_tokens: 110_000 };

describe('OpenAI service tiers are billed at the tier that served the request', () => {
  it('priority (chat completion): the key pays the priority price', async () => {
    const key = await createKey();
    upstream.enqueue({ body: completion({ model: 'gpt-5.4-2026-03-05', usage: USAGE, extra: { service_tier: 'priority' } }) });
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key.secret, maxRetries: 0 });
    const answer = await client.chat.completions.create({ model: 'openai/gpt-5.4', service_tier: 'priority', max_completion_tokens: 20_000, messages: [{ role: 'user', content: 'hi' }] });
    expect(answer.service_tier).toBe('priority');
    expect((upstream.requests.at(-1)?.body as { service_tier?: string }).service_tier).toBe('priority');
    await expect.poll(() => loggedCost(key.id), { timeout: 3000 }).not.toBeUndefined();
    expect(await spentUsd(key.id)).toBeCloseTo(0.8, 6);
    expect(await loggedCost(key.id)).toBeCloseTo(0.8, 6);
  });

  it('priority (stream): the key pays the priority price', async () => {
    const key = await createKey();
    const tier = { service_tier: 'priority', model: 'gpt-5.4' };
    upstream.enqueue({
      stream: {
        chunks: [
          chunk({ role: 'assistant', content: '' }, null, { ...tier, usage: null }),
          chunk({ content: 'hi' }, null, { ...tier, usage: null }),
          chunk({}, 'stop', { ...tier, usage: null }),
          { ...chunk({}, null, tier), choices: [], usage: USAGE },
        ],
      },
    });
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key.secret, maxRetries: 0 });
    const stream = await client.chat.completions.create({ model: 'openai/gpt-5.4', service_tier: 'priority', stream: true, max_completion_tokens: 20_000, messages: [{ role: 'user', content: 'hi' }] });
    for await (const _ of stream) void _;
    await expect.poll(() => spentUsd(key.id), { timeout: 3000 }).toBeGreaterThan(0);
    expect(await spentUsd(key.id)).toBeCloseTo(0.8, 6);
  });

  it('priority: the reservation covers the priority price (a request that could cost more than the budget is refused)', async () => {
    // $0.40 a day. Asked for: up to 20 000 answer tokens at priority, 20 000 × $30/M = $0.60, more
    // than the budget, so by the gateway's own rule ("the reservation is the most the request can
    // cost") it must be refused with 402. At the standard price it reserves $0.30 and lets it
    // through; OpenAI then bills $0.60 while the key is charged $0.30.
    const key = await createKey(0.4);
    upstream.enqueue({ body: completion({ model: 'gpt-5.4', usage: { prompt_tokens: 8, completion_tokens: 20_000, total_tokens: 20_008 }, extra: { service_tier: 'priority' } }) });
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key.secret, maxRetries: 0 });
    const outcome = await client.chat.completions
      .create({ model: 'openai/gpt-5.4', service_tier: 'priority', max_completion_tokens: 20_000, messages: [{ role: 'user', content: 'hi' }] })
      .then(() => 200, (error: { status?: number }) => error.status);
    expect(outcome).toBe(402);
  });

  it('flex (chat completion): the key pays the flex (Batch) price, half of standard', async () => {
    const key = await createKey();
    upstream.enqueue({ body: completion({ model: 'gpt-5.4', usage: USAGE, extra: { service_tier: 'flex' } }) });
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key.secret, maxRetries: 0 });
    const answer = await client.chat.completions.create({ model: 'openai/gpt-5.4', service_tier: 'flex', max_completion_tokens: 20_000, messages: [{ role: 'user', content: 'hi' }] });
    expect(answer.service_tier).toBe('flex');
    await expect.poll(() => spentUsd(key.id), { timeout: 3000 }).toBeGreaterThan(0);
    expect(await spentUsd(key.id)).toBeCloseTo(0.2, 6);
  });

  it('priority (Responses API, passed through natively): the key pays the priority price', async () => {
    const key = await createKey();
    const response = responsesObject([{ text: 'hi' }], { model: 'gpt-5.4', usage: { input_tokens: 100_000, output_tokens: 10_000 } });
    upstream.enqueue({ body: { ...response, service_tier: 'priority' } });
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key.secret, maxRetries: 0 });
    const answer = await client.responses.create({ model: 'openai/gpt-5.4', service_tier: 'priority', max_output_tokens: 20_000, input: 'hi' });
    expect(answer.service_tier).toBe('priority');
    expect(upstream.requests.at(-1)?.path).toMatch(/\/responses$/);
    await expect.poll(() => spentUsd(key.id), { timeout: 3000 }).toBeGreaterThan(0);
    expect(await spentUsd(key.id)).toBeCloseTo(0.8, 6);
  });
});
