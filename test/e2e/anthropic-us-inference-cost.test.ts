/**
 * What an Anthropic answer that ran only in the US costs a gateway key. Anthropic's `inference_geo:
 * "us"` (per request, or a workspace's default) keeps inference on US infrastructure for Claude
 * Opus 4.6 and later models, and "a 1.1x pricing multiplier applies" (docs.aws.amazon.com
 * claude-platform data-residency; Anthropic's pricing page, as quoted by TokenMix 2026-04-30: "1.1x
 * for US-only inference on Opus 4.7, Opus 4.6, and newer models", on every token price). The answer
 * says where it ran: `usage.inference_geo` (platform.claude.com/docs/en/manage-claude/data-residency).
 *
 * Before its fix every case billing "us" failed: the key paid the global price, 10 % less than
 * Anthropic bills, and a request asking for "us" was reserved at it. Now `inference_geo` is carried
 * into the usage (plugins/anthropic/protocol/mapping.ts) and the row's `usInference` multiplier
 * applies (plugins/cost `ratesAt`), the reservation too.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { auth, cost, usageLogger } from '../../index.js';
import { anthropicMessage, sseEvent } from '../support/anthropic-wire.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { keySpend } from '../support/key-spend.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

const ADMIN = 'us-inference-cost-admin-key-0123456789';

let upstream: MockUpstream;
let gw: RunningGateway;

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({
    providers: { claude: { type: 'anthropic', apiKey: 'sk-ant-upstream', baseURL: upstream.baseURL, listModels: false } },
    plugins: [auth({ adminKey: ADMIN }), cost(), usageLogger()],
  });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});
beforeEach(() => upstream.reset());
const { createKey, spentUsd, loggedCostUsd } = keySpend(() => gw.url, ADMIN);

/** 1 000 prompt and 100 answer tokens on Claude Sonnet 4.6 ($3 / $15): $0.0045 globally, $0.00495 in the US. */
const answer = (geo: string, model = 'claude-sonnet-4-6') => {
  const message = anthropicMessage([{ text: 'Hello.' }], { model, usage: { input_tokens: 1_000, output_tokens: 100 } });
  (message.usage as Record<string, unknown>).inference_geo = geo;
  return message;
};

describe('US-only inference is billed at 1.1 times', () => {
  it('a native answer that ran in the US: the key and the usage log pay 1.1 times', async () => {
    const key = await createKey();
    upstream.enqueue({ body: answer('us') });
    const client = new Anthropic({ baseURL: gw.url, apiKey: key.secret, maxRetries: 0 });
    const message = await client.messages.create({ model: 'claude/claude-sonnet-4-6', max_tokens: 500, inference_geo: 'us', messages: [{ role: 'user', content: 'hi' }] } as Anthropic.MessageCreateParamsNonStreaming);
    expect((message.usage as unknown as Record<string, unknown>).inference_geo).toBe('us');
    expect((upstream.requests.at(-1)?.body as { inference_geo?: string }).inference_geo).toBe('us');
    await expect.poll(() => spentUsd(key.id), { timeout: 3000 }).toBeGreaterThan(0);
    expect(await spentUsd(key.id)).toBeCloseTo(0.00495, 8);
    await expect.poll(() => loggedCostUsd(key.id), { timeout: 3000 }).toBeCloseTo(0.00495, 8);
  });

  it('a streamed answer (message_start says where it ran)', async () => {
    const key = await createKey();
    const start = answer('us');
    upstream.enqueue({
      stream: {
        chunks: [
          sseEvent({ type: 'message_start', message: { ...start, content: [], stop_reason: null, usage: { input_tokens: 1_000, output_tokens: 1, inference_geo: 'us' } } }),
          sseEvent({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
          sseEvent({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hello.' } }),
          sseEvent({ type: 'content_block_stop', index: 0 }),
          sseEvent({ type: 'message_delta', delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 100 } }),
          sseEvent({ type: 'message_stop' }),
        ],
        done: false,
      },
    });
    const client = new Anthropic({ baseURL: gw.url, apiKey: key.secret, maxRetries: 0 });
    await client.messages.stream({ model: 'claude/claude-sonnet-4-6', max_tokens: 500, messages: [{ role: 'user', content: 'hi' }] }).finalMessage();
    await expect.poll(() => spentUsd(key.id), { timeout: 3000 }).toBeGreaterThan(0);
    expect(await spentUsd(key.id)).toBeCloseTo(0.00495, 8);
  });

  it('an OpenAI-format client, on a workspace whose default is the US: 1.1 times', async () => {
    const key = await createKey();
    upstream.enqueue({ body: answer('us') });
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: key.secret, maxRetries: 0 });
    await client.chat.completions.create({ model: 'claude/claude-sonnet-4-6', max_tokens: 500, messages: [{ role: 'user', content: 'hi' }] });
    await expect.poll(() => spentUsd(key.id), { timeout: 3000 }).toBeGreaterThan(0);
    expect(await spentUsd(key.id)).toBeCloseTo(0.00495, 8);
  });

  it('global inference, and a model before Opus 4.6 (priced alike everywhere), pay the list price', async () => {
    const key = await createKey();
    upstream.enqueue({ body: answer('global') });
    upstream.enqueue({ body: answer('us', 'claude-sonnet-4-5') });
    const client = new Anthropic({ baseURL: gw.url, apiKey: key.secret, maxRetries: 0 });
    await client.messages.create({ model: 'claude/claude-sonnet-4-6', max_tokens: 500, messages: [{ role: 'user', content: 'hi' }] });
    await client.messages.create({ model: 'claude/claude-sonnet-4-5', max_tokens: 500, messages: [{ role: 'user', content: 'hi' }] });
    await expect.poll(() => spentUsd(key.id), { timeout: 3000 }).toBeCloseTo(0.009, 8);
  });

  it('a request that asks for the US is reserved at 1.1 times (one that could cost more than the budget is refused)', async () => {
    // $0.16 a day. Asked for: up to 10 000 answer tokens on Sonnet 4.6, $0.15 at the list price
    // (let through) and $0.165 in the US, more than the budget: refused with 402 before it is sent.
    const key = await createKey(0.16);
    const client = new Anthropic({ baseURL: gw.url, apiKey: key.secret, maxRetries: 0 });
    const ask = (geo?: string) =>
      client.messages.create({ model: 'claude/claude-sonnet-4-6', max_tokens: 10_000, ...(geo ? { inference_geo: geo } : {}), messages: [{ role: 'user', content: 'hi' }] } as Anthropic.MessageCreateParamsNonStreaming).then(
        () => 200,
        (error: { status?: number }) => error.status,
      );
    expect(await ask('us')).toBe(402);
    expect(upstream.requests).toHaveLength(0);
    upstream.enqueue({ body: answer('global') });
    expect(await ask()).toBe(200);
  });
});
