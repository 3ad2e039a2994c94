/**
 * The price book lets a dated id match its base row ("Dated ids match their base key",
 * plugins/cost/prices.ts). For gpt-4o that is wrong for the first snapshot: gpt-4o-2024-05-13 is
 * billed by OpenAI at $5 input / $15 output per million, not gpt-4o's $2.50 / $10 (which are the
 * prices of gpt-4o-2024-08-06 and -11-20, to which the alias `gpt-4o` points).
 *
 * OpenAI's pricing page lists `gpt-4o-2024-05-13` at $5.00 / $15.00 apart from `gpt-4o` (as
 * transcribed by OpenRouter, https://openrouter.ai/openai/gpt-4o-2024-05-13: "Starting at $5/M
 * input tokens Starting at $15/M output tokens", and lobe-chat's model bank, `gpt-4o-2024-05-13`
 * pricing { input: 5, output: 15 }; OpenAI's own page was not in the index).
 * Before its fix the key paid $0.35 where OpenAI bills $0.65. Now gpt-4o-2024-05-13 has a row of its
 * own (a dated key wins over its base).
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { auth, cost, usageLogger } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { keySpend } from '../support/key-spend.js';
import { completion, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

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
const { createKey, spentUsd } = keySpend(() => gw.url, ADMIN);

describe('dated OpenAI snapshots priced apart from their alias', () => {
  it('gpt-4o-2024-05-13 is billed at $5 / $15, not at gpt-4o\'s $2.50 / $10', async () => {
    const key = await createKey();
    upstream.enqueue({ body: completion({ model: 'gpt-4o-2024-05-13', usage: { prompt_tokens: 100_000, completion_tokens: 10_000, total_tokens: 110_000 } }) });
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key.secret, maxRetries: 0 });
    await client.chat.completions.create({ model: 'openai/gpt-4o-2024-05-13', max_tokens: 10_000, messages: [{ role: 'user', content: 'hi' }] });
    await expect.poll(() => spentUsd(key.id), { timeout: 3000 }).toBeGreaterThan(0);
    // 100 000 × $5 + 10 000 × $15 per million = $0.65 (at gpt-4o's prices: $0.35).
    expect(await spentUsd(key.id)).toBeCloseTo(0.65, 6);
  });

  it('gpt-4o-2024-08-06 keeps gpt-4o\'s price (control)', async () => {
    const key = await createKey();
    upstream.enqueue({ body: completion({ model: 'gpt-4o-2024-08-06', usage: { prompt_tokens: 100_000, completion_tokens: 10_000, total_tokens: 110_000 } }) });
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key.secret, maxRetries: 0 });
    await client.chat.completions.create({ model: 'openai/gpt-4o-2024-08-06', max_tokens: 10_000, messages: [{ role: 'user', content: 'hi' }] });
    await expect.poll(() => spentUsd(key.id), { timeout: 3000 }).toBeGreaterThan(0);
    expect(await spentUsd(key.id)).toBeCloseTo(0.35, 6);
  });
});
