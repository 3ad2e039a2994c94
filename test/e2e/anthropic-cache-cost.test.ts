/**
 * What Claude Code's prompt caching costs a gateway key. Claude Code streams `/v1/messages` with
 * cache breakpoints, some of them written for an hour, and Anthropic bills a 1-hour cache write at
 * twice the input price (a 5-minute one at 1.25×). The official Anthropic SDK streams through the
 * gateway's native path to an Anthropic upstream that reports the split in
 * `usage.cache_creation`; the key's spend must be what Anthropic bills, and a budget's reservation
 * must cover a prompt marked for the cache at the write price.
 */
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { auth, cost, usageLogger, type UsageRecord } from '../../index.js';
import { anthropicMessage, anthropicStreamEvents } from '../support/anthropic-wire.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { keySpend } from '../support/key-spend.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

const ADMIN = 'cache-cost-admin-key-0123456789';

let upstream: MockUpstream;
let gw: RunningGateway;

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({
    providers: { claude: { type: 'anthropic', apiKey: 'sk-ant-upstream', baseURL: upstream.baseURL, listModels: false } },
    // The shipped price table: claude-sonnet-4-5 is $3 input, $0.30 cache reads, $3.75 5-minute
    // writes, $6 1-hour writes and $15 output per million tokens.
    plugins: [auth({ adminKey: ADMIN }), cost(), usageLogger()],
  });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});
beforeEach(() => upstream.reset());
const { createKey, spentUsd } = keySpend(() => gw.url, ADMIN);

describe('prompt caching through the native Anthropic path', () => {
  it('charges a key 1-hour cache writes at twice the input price, and passes the split on to the client', async () => {
    const key = await createKey();
    const usage = {
      input_tokens: 10,
      output_tokens: 100,
      cache_read_input_tokens: 1_000,
      cache_creation_input_tokens: 3_000,
      cache_creation: { ephemeral_5m_input_tokens: 1_000, ephemeral_1h_input_tokens: 2_000 },
    };
    upstream.enqueue({ stream: { chunks: anthropicStreamEvents([{ text: 'cached' }], { model: 'claude-sonnet-4-5', usage }), done: false } });
    const client = new Anthropic({ baseURL: gw.url, apiKey: key.secret, maxRetries: 0 });
    const stream = client.messages
      .stream({
        model: 'claude/claude-sonnet-4-5',
        max_tokens: 200,
        system: [{ type: 'text', text: 'a long, stable system prompt', cache_control: { type: 'ephemeral', ttl: '1h' } }],
        messages: [{ role: 'user', content: [{ type: 'text', text: 'the conversation so far', cache_control: { type: 'ephemeral' } }] }],
      });
    const final = await stream.finalMessage();
    expect(final.content[0]).toMatchObject({ type: 'text', text: 'cached' });
    expect(final.usage.cache_creation).toEqual({ ephemeral_5m_input_tokens: 1_000, ephemeral_1h_input_tokens: 2_000 });
    // 10 × $3 + 1 000 × $0.30 + 1 000 × $3.75 + 2 000 × $6 + 100 × $15, per million tokens:
    // 30 + 300 + 3 750 + 12 000 + 1 500 = 17 580 µ$ (all 3 000 writes at the 5-minute price: 13 080).
    await expect.poll(() => spentUsd(key.id), { timeout: 3000 }).toBe(0.01758);
    // The usage log keeps the split as well as the cost: of the 3 000 tokens written, 2 000 for an hour.
    const requestId = (await stream.withResponse()).response.headers.get('x-request-id')!;
    const logged = async () =>
      ((await (await fetch(`${gw.url}/admin/logs?requestId=${requestId}`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as { data: UsageRecord[] }).data;
    await expect.poll(async () => (await logged()).length, { timeout: 5000 }).toBe(1);
    expect((await logged())[0]).toMatchObject({ cachedTokens: 1_000, cacheWriteTokens: 3_000, cacheWrite1hTokens: 2_000, costUsd: 0.01758 });
  });

  it("reserves a prompt marked for an hour's cache at the 1-hour write price, so a budget holds", async () => {
    // $0.05 a day. The prompt is about 12 000 tokens (48 000 characters, estimated): at the input
    // price ($3/M) it reserves about $0.036 with max_tokens 200 at $15/M, within the budget; marked
    // for an hour's cache ($6/M for a write) about $0.075, which the budget cannot cover.
    const key = await createKey(0.05);
    const client = new Anthropic({ baseURL: gw.url, apiKey: key.secret, maxRetries: 0 });
    const prompt = 'word '.repeat(9_600);
    const marked = client.messages.create({
      model: 'claude/claude-sonnet-4-5',
      max_tokens: 200,
      messages: [{ role: 'user', content: [{ type: 'text', text: prompt, cache_control: { type: 'ephemeral', ttl: '1h' } }] }],
    });
    await expect(marked).rejects.toMatchObject({ status: 402, error: { type: 'error', error: { type: 'billing_error' } } });
    expect(upstream.requests).toHaveLength(0);

    upstream.enqueue({ body: anthropicMessage([{ text: 'fine' }], { model: 'claude-sonnet-4-5', usage: { input_tokens: 12_000, output_tokens: 5 } }) });
    const plain = await client.messages.create({ model: 'claude/claude-sonnet-4-5', max_tokens: 200, messages: [{ role: 'user', content: prompt }] });
    expect(plain.content[0]).toMatchObject({ type: 'text', text: 'fine' });
  });

  it('reserves at the write price when the mark is on a tool definition, as Claude Code marks its tools', async () => {
    // The same prompt and budget as above; only the tool carries the mark, which OpenAI's tool
    // shape has no place for: the reservation reads it from the client's own request.
    const key = await createKey(0.05);
    const client = new Anthropic({ baseURL: gw.url, apiKey: key.secret, maxRetries: 0 });
    const prompt = 'word '.repeat(9_600);
    const tool = { name: 'read_file', description: 'Reads a file.', input_schema: { type: 'object' as const, properties: { path: { type: 'string' } } } };
    const ask = (cache_control?: { type: 'ephemeral'; ttl: '1h' }) =>
      client.messages.create({ model: 'claude/claude-sonnet-4-5', max_tokens: 200, tools: [{ ...tool, ...(cache_control ? { cache_control } : {}) }], messages: [{ role: 'user', content: prompt }] });
    await expect(ask({ type: 'ephemeral', ttl: '1h' })).rejects.toMatchObject({ status: 402, error: { type: 'error', error: { type: 'billing_error' } } });
    expect(upstream.requests).toHaveLength(0);

    upstream.enqueue({ body: anthropicMessage([{ text: 'fine' }], { model: 'claude-sonnet-4-5', usage: { input_tokens: 12_000, output_tokens: 5 } }) });
    expect((await ask()).content[0]).toMatchObject({ type: 'text', text: 'fine' });
    // The tool went upstream as the client wrote it (the native path), the very request the reservation read.
    expect((upstream.requests[0]!.body as { tools: unknown[] }).tools).toEqual([tool]);
  });
});
