/**
 * Finding: for a stream nobody measured (an OpenAI-format host that reports no usage even when
 * asked, or a client that leaves before the usage chunk, without gateway:token-counter), the key's
 * budget is charged the request's whole reservation (docs/keys-and-usage.md: "is charged the most
 * it could have cost"), but the usage record of the same request says it cost its estimated prompt
 * alone (completion 0). What the operator sees: `/admin/keys/:id` says the key spent $N, while
 * the usage log (what they bill from, `/admin/usage`, the CSV export) sums to far less for the
 * same requests: the two books never agree, and the bill from the log under-charges every such
 * stream by its whole answer.
 * Right: one request, one cost. The record's `costUsd` is what the key was charged (the
 * reservation kept, flagged `tokensEstimated`), or the budget is settled at the record's cost;
 * either way the key's spent figure equals the sum of its records' costs.
 */
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { auth, cost, usageLogger } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { mockProvider, startMockUpstream, wordChunks, type MockUpstream } from '../support/mock-upstream.js';
import { usageRecordOf } from '../support/usage-records.js';

const ADMIN = 'review-money-admin-key-0123456789';
/** $1 a token, in and out: dollars are tokens. */
const PRICES = { 'mock/mock-small': { input: 1_000_000, output: 1_000_000 } };

const running: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const r of running.splice(0).reverse()) await r.close();
});

const admin = (gw: RunningGateway, method: string, path: string, body?: unknown) =>
  fetch(`${gw.url}${path}`, { method, headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });

async function setUp(): Promise<{ up: MockUpstream; gw: RunningGateway; id: string; secret: string }> {
  const up = await startMockUpstream();
  running.push(up);
  const gw = await startGateway({ providers: { mock: mockProvider(up) }, plugins: [auth({ adminKey: ADMIN }), cost({ prices: PRICES }), usageLogger({ url: 'sqlite::memory:' })] });
  running.push(gw);
  const res = await admin(gw, 'POST', '/admin/keys', { name: 'billed', budget: { dailyUsd: 1000 } });
  expect(res.status).toBe(201);
  const { id, secret } = (await res.json()) as { id: string; secret: string };
  return { up, gw, id, secret };
}

async function spentToday(gw: RunningGateway, id: string): Promise<number> {
  const shown = (await (await admin(gw, 'GET', `/admin/keys/${id}`)).json()) as { usage: { spentUsd: { daily?: number } } };
  return shown.usage.spentUsd.daily ?? 0;
}

describe("a stream nobody measured: the key's spend and its usage record", () => {
  it('agree for a host that reports no usage (the record costs what the key was charged)', async () => {
    const { up, gw, id, secret } = await setUp();
    up.enqueue({ stream: { chunks: wordChunks('one two three four five') } });
    const client = new OpenAI({ baseURL: gw.baseURL, apiKey: secret, maxRetries: 0 });
    const { data: stream, response } = await client.chat.completions
      .create({ model: 'mock/mock-small', stream: true, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    let text = '';
    for await (const part of stream) text += part.choices[0]?.delta.content ?? '';
    expect(text).toBe('one two three four five');
    const record = await usageRecordOf(gw, response.headers.get('x-request-id')!);
    await new Promise((r) => setTimeout(r, 300));
    const spent = await spentToday(gw, id);
    // The key was charged its reservation: prompt + max_tokens 10 at $1 a token.
    expect(spent).toBeGreaterThanOrEqual(10);
    expect(record.tokensEstimated).toBe(true);
    // The record, which the operator bills from, must say the same.
    expect(record.costUsd).toBe(spent);
  });

  it('agree for a client that left before the usage chunk', async () => {
    const { up, gw, id, secret } = await setUp();
    up.enqueue({ stream: { chunks: wordChunks('one two three four five', { usage: true }), chunkDelayMs: 50 } });
    const client = new OpenAI({ baseURL: gw.baseURL, apiKey: secret, maxRetries: 0 });
    const { data: stream, response } = await client.chat.completions
      .create({ model: 'mock/mock-small', stream: true, max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] })
      .withResponse();
    let parts = 0;
    for await (const part of stream) if (part.choices[0]?.delta.content && ++parts === 3) break;
    const record = await usageRecordOf(gw, response.headers.get('x-request-id')!);
    await new Promise((r) => setTimeout(r, 300));
    const spent = await spentToday(gw, id);
    expect(spent).toBeGreaterThanOrEqual(10);
    expect(record.costUsd).toBe(spent);
  });
});
