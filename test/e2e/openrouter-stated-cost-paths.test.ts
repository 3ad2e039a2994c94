/**
 * Where an upstream's stated cost (OpenRouter's `usage.cost`, test/e2e/openrouter-stated-cost.test.ts)
 * must be read, and where it must not be.
 *
 * Before its fix (6c2cc11 kept the amount as a plain field, `usage.upstream_cost_usd`, in the
 * upstream's own usage object): any upstream could set the bill by sending that field, statedCost
 * or not (a second gateway in front of this one did); a cache hit showed clients the amount (the
 * operator's cost, so its margin), whole or streamed; and an embedding model through OpenRouter
 * that the table does not list cost nothing. Now the amount is kept under a symbol
 * (core/protocol/stated-cost.ts), which no JSON carries either way, and embeddings read it too.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { auth, cache, cost, usageLogger } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { keySpend } from '../support/key-spend.js';
import { chunk, completion, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

const ADMIN = 'stated-cost-paths-admin-key-0123456789';

let upstream: MockUpstream;
let gw: RunningGateway;

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({
    providers: {
      openrouter: { type: 'openai-compatible', baseURL: upstream.baseURL, apiKey: 'sk-or-upstream', listModels: false, statedCost: true, completions: true },
      plain: { type: 'openai-compatible', baseURL: upstream.baseURL, apiKey: 'sk-plain', listModels: false },
    },
    plugins: [auth({ adminKey: ADMIN }), cost(), cache(), usageLogger()],
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
const unique = () => `hi ${Math.random().toString(36).slice(2)}`;

describe('stated cost: where it is not trusted or not read', () => {
  it('a host not known to state its cost cannot set the bill with a `upstream_cost_usd` of its own', async () => {
    const key = await createKey();
    // gpt-4o at the table's $2.50 / $10: $0.0035. The host's usage carries the gateway's internal field.
    upstream.enqueue({ body: completion({ model: 'gpt-4o', usage: { ...TOKENS, upstream_cost_usd: 0 } }) });
    await client(key.secret).chat.completions.create({ model: 'plain/gpt-4o', messages: [{ role: 'user', content: unique() }] });
    await expect.poll(() => loggedCostUsd(key.id), { timeout: 3000 }).not.toBeUndefined();
    expect(await loggedCostUsd(key.id)).toBeCloseTo(0.0035, 9);
    expect(await spentUsd(key.id)).toBeCloseTo(0.0035, 9);
  });

  it('OpenRouter with statedCost: an answer whose `cost` is not a sane amount is not billed a raw `upstream_cost_usd` either', async () => {
    const key = await createKey();
    upstream.enqueue({ body: completion({ model: 'openai/gpt-4o', usage: { ...TOKENS, cost: 'n/a', upstream_cost_usd: 0 } }) });
    await client(key.secret).chat.completions.create({ model: 'openrouter/openai/gpt-4o', messages: [{ role: 'user', content: unique() }] });
    await expect.poll(() => loggedCostUsd(key.id), { timeout: 3000 }).not.toBeUndefined();
    expect(await loggedCostUsd(key.id)).toBeCloseTo(0.0035, 9);
  });
});

describe('stated cost: the internal field never reaches a client', () => {
  it('a cache hit replays the answer without `upstream_cost_usd`', async () => {
    const key = await createKey();
    const messages = [{ role: 'user' as const, content: unique() }];
    upstream.enqueue({ body: completion({ model: 'moonshotai/kimi-k2', usage: { ...TOKENS, cost: 0.00123, is_byok: false } }) });
    const first = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key.secret}` }, body: JSON.stringify({ model: 'openrouter/moonshotai/kimi-k2', messages }) });
    const firstText = await first.text();
    expect(firstText).not.toContain('upstream_cost_usd');
    const second = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${key.secret}` }, body: JSON.stringify({ model: 'openrouter/moonshotai/kimi-k2', messages }) });
    expect(second.headers.get('x-gateway-cache')).toBe('hit');
    const secondText = await second.text();
    expect(secondText).not.toContain('upstream_cost_usd');
    // The usage the host wrote, and nothing of the gateway's beside it.
    expect((JSON.parse(secondText) as { usage: unknown }).usage).toEqual({ ...TOKENS, cost: 0.00123, is_byok: false });
  });

  it('a cache hit replaying a stream without `upstream_cost_usd`', async () => {
    const key = await createKey();
    const messages = [{ role: 'user' as const, content: unique() }];
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
    const body = JSON.stringify({ model: 'openrouter/moonshotai/kimi-k2', messages, stream: true, stream_options: { include_usage: true } });
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${key.secret}` };
    const first = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers, body });
    expect(await first.text()).not.toContain('upstream_cost_usd');
    const second = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers, body });
    expect(second.headers.get('x-gateway-cache')).toBe('hit');
    const replayed = await second.text();
    expect(replayed).not.toContain('upstream_cost_usd');
    const usages = replayed
      .split('\n')
      .filter((line) => line.startsWith('data: {'))
      .map((line) => (JSON.parse(line.slice(6)) as { usage?: unknown }).usage)
      .filter((usage) => usage);
    expect(usages).toEqual([{ ...TOKENS, cost: 0.00077, is_byok: false }]);
  });
});

describe('stated cost: embeddings through OpenRouter', () => {
  it('an embedding model the table does not list: the stated cost is billed', async () => {
    const key = await createKey();
    upstream.enqueue({ body: { object: 'list', model: 'qwen/qwen3-embedding-8b', data: [{ object: 'embedding', index: 0, embedding: [0.1, 0.2] }], usage: { prompt_tokens: 1_000, total_tokens: 1_000, cost: 0.00005, is_byok: false } } });
    await client(key.secret).embeddings.create({ model: 'openrouter/qwen/qwen3-embedding-8b', input: unique() });
    expect(upstream.requests.at(-1)?.path).toMatch(/\/embeddings$/);
    await expect.poll(() => loggedCostUsd(key.id), { timeout: 3000 }).not.toBeUndefined();
    expect(await loggedCostUsd(key.id)).toBeCloseTo(0.00005, 9);
    expect(await spentUsd(key.id)).toBeCloseTo(0.00005, 9);
  });
});
