/**
 * An operator pricing a Claude model the shipped table does not list yet (a model after Opus 4.6,
 * which Anthropic bills 1.1 times for US-only inference) gives it that multiplier in
 * `cost({ prices })` (`usInference`). Before its fix the plugin's schema refused the option (the
 * gateway did not start), so such a model's US answers could only be billed at the global price.
 */
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, describe, expect, it } from 'vitest';
import { auth, cost, usageLogger } from '../../index.js';
import { anthropicMessage } from '../support/anthropic-wire.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { keySpend } from '../support/key-spend.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

const ADMIN = 'override-us-admin-key-0123456789';
let upstream: MockUpstream | undefined;
let gw: RunningGateway | undefined;
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

describe('a price override for a newer Claude model', () => {
  it('can say it costs 1.1 times in the US (usInference), and a US answer is billed so', async () => {
    upstream = await startMockUpstream();
    gw = await startGateway({
      providers: { claude: { type: 'anthropic', apiKey: 'sk-ant-upstream', baseURL: upstream.baseURL, listModels: false } },
      plugins: [auth({ adminKey: ADMIN }), cost({ prices: { 'claude-opus-6': { input: 5, output: 25, cachedInput: 0.5, cacheWrite: 6.25, usInference: 1.1 } } }), usageLogger()],
    });
    const { createKey, spentUsd } = keySpend(() => gw!.url, ADMIN);
    const key = await createKey();
    const message = anthropicMessage([{ text: 'Hello.' }], { model: 'claude-opus-6', usage: { input_tokens: 1_000, output_tokens: 100 } });
    (message.usage as Record<string, unknown>).inference_geo = 'us';
    upstream.enqueue({ body: message });
    const client = new Anthropic({ baseURL: gw.url, apiKey: key.secret, maxRetries: 0 });
    await client.messages.create({ model: 'claude/claude-opus-6', max_tokens: 500, messages: [{ role: 'user', content: 'hi' }] });
    await expect.poll(() => spentUsd(key.id), { timeout: 3000 }).toBeGreaterThan(0);
    // $0.0075 globally, $0.00825 in the US.
    expect(await spentUsd(key.id)).toBeCloseTo(0.00825, 8);
  });
});
