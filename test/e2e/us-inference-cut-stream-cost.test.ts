/**
 * A US-only Anthropic stream cut short is billed from what Anthropic stated so far (`usageSoFar`,
 * plugins/token-counter/usage-of.ts) at 1.1 times. Before its fix the usage was rebuilt from the
 * token counts alone, without `inference_geo` (nor `service_tier` or `server_tool_use`): the key
 * paid the global price for a US answer.
 */
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { auth, cost, tokenCounter, usageLogger } from '../../index.js';
import { anthropicMessage, sseEvent } from '../support/anthropic-wire.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { keySpend } from '../support/key-spend.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

const ADMIN = 'us-cut-admin-key-0123456789';

let upstream: MockUpstream;
let gw: RunningGateway;

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({
    providers: { claude: { type: 'anthropic', apiKey: 'sk-ant-upstream', baseURL: upstream.baseURL, listModels: false } },
    plugins: [auth({ adminKey: ADMIN }), tokenCounter(), cost(), usageLogger()],
  });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});
beforeEach(() => upstream.reset());
const { createKey, spentUsd, loggedCostUsd } = keySpend(() => gw.url, ADMIN);

/** A Sonnet 4.6 stream that says where it ran, cut after its first text delta. */
const cutStream = (geo: string) => {
  const start = anthropicMessage([{ text: 'Hello.' }], { model: 'claude-sonnet-4-6', usage: { input_tokens: 10_000, output_tokens: 1 } });
  return {
    stream: {
      chunks: [
        sseEvent({ type: 'message_start', message: { ...start, content: [], stop_reason: null, usage: { input_tokens: 10_000, output_tokens: 1, inference_geo: geo } } }),
        sseEvent({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
        sseEvent({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hello there, how are you' } }),
        // Written just before the socket is destroyed: may or may not arrive (says nothing billed).
        sseEvent({ type: 'ping' }),
        sseEvent({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: ' never sent' } }),
      ],
      cutAfter: 4,
      chunkDelayMs: 30,
      done: false,
    },
  };
};

async function spendOfCut(geo: string): Promise<{ spent: number; logged: number | null | undefined }> {
  const key = await createKey();
  upstream.enqueue(cutStream(geo));
  const client = new Anthropic({ baseURL: gw.url, apiKey: key.secret, maxRetries: 0 });
  await client.messages
    .stream({ model: 'claude/claude-sonnet-4-6', max_tokens: 500, messages: [{ role: 'user', content: 'hi' }] })
    .finalMessage()
    .catch(() => undefined);
  await expect.poll(() => loggedCostUsd(key.id), { timeout: 3000 }).toBeGreaterThan(0);
  return { spent: await spentUsd(key.id), logged: await loggedCostUsd(key.id) };
}

describe('a US-only stream cut short', () => {
  it('is billed at 1.1 times what the same stream run globally is billed (key and usage log)', async () => {
    const global = await spendOfCut('global');
    const us = await spendOfCut('us');
    // 10 000 prompt tokens at $3: $0.03 globally, $0.033 in the US (plus a few answer tokens).
    expect(global.spent).toBeGreaterThan(0.03);
    expect(us.spent / global.spent).toBeCloseTo(1.1, 6);
    expect((us.logged ?? 0) / (global.logged ?? 1)).toBeCloseTo(1.1, 6);
  });
});
