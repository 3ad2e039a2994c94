/**
 * gateway:usage-logger with auth, the token counter and prices, through real sockets: one record
 * per request (answered, failed, cancelled), tokens and cost right, bodies redacted, the admin API
 * reading it back, and nothing lost at shutdown.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, cost, tokenCounter, usageLogger, type UsageRecord } from '../../../index.js';
import { silentLogger } from '../../../core/logger.js';
import { openUsageLog } from '../../../plugins/usage-logger/log/open-usage-log.js';
import { startGateway, type RunningGateway } from '../../support/gateway.js';
import { chunk, mockProvider, startMockUpstream, wordChunks, type MockUpstream } from '../../support/mock-upstream.js';

const ADMIN = 'usage-admin-key-0123456789';
const dir = mkdtempSync(join(tmpdir(), 'gw-usage-'));
const usageUrl = `sqlite://${join(dir, 'usage.sqlite')}`;
let upstream: MockUpstream;
let gw: RunningGateway;
let secret: string;
let keyId: string;

const admin = async (path: string) => (await fetch(`${gw.url}${path}`, { headers: { authorization: `Bearer ${ADMIN}` } })).json() as Promise<Record<string, unknown>>;
const logs = async (query = '') => ((await admin(`/admin/logs?keyId=${keyId}${query}`)) as { data: UsageRecord[] }).data;
/** Records are written behind the requests, in batches at least once a second: wait for them. */
const WRITE_BEHIND = { timeout: 5000 };
/** Records are written behind the requests: wait until the expected number is there. */
const waitForRecords = (n: number) => expect.poll(async () => (await logs()).length, { timeout: 5000 }).toBeGreaterThanOrEqual(n);

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({
    usageLog: usageUrl,
    providers: { mock: mockProvider(upstream) },
    plugins: [
      auth({ adminKey: ADMIN }),
      tokenCounter({ preload: false }),
      // $1 per million input tokens, $2 per million output: easy to check.
      cost({ prices: { 'mock/mock-small': { input: 1, output: 2 } } }),
      usageLogger({ bodies: { request: true, response: true, maxBytes: 4096 } }),
    ],
  });
  const res = await fetch(`${gw.url}/admin/keys`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'logged', team: 'research' }) });
  ({ secret, id: keyId } = (await res.json()) as { secret: string; id: string });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
  rmSync(dir, { recursive: true, force: true });
});

const client = () => new OpenAI({ baseURL: gw.baseURL, apiKey: secret, maxRetries: 0 });
/** A JSON body sent as this very text, with the key. */
const post = (path: string, text: string) => fetch(`${gw.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' }, body: text });
/** The record of an answered request (its body read to the end first, if nobody has), once it is written. */
const recordOf = async (res: Response) => {
  if (!res.bodyUsed) await res.arrayBuffer();
  const requestId = res.headers.get('x-request-id')!;
  await expect.poll(async () => (await logs(`&requestId=${requestId}`)).length, WRITE_BEHIND).toBe(1);
  return (await logs(`&requestId=${requestId}`))[0]!;
};

describe('records', () => {
  it('records a whole answer with the provider\'s tokens, its cost and the key', async () => {
    const answer = await client().chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'hello' }] }).withResponse();
    const requestId = answer.response.headers.get('x-request-id')!;
    await expect.poll(async () => (await logs(`&requestId=${requestId}`)).length, WRITE_BEHIND).toBe(1);
    const [record] = await logs(`&requestId=${requestId}`);
    expect(record).toMatchObject({
      requestId,
      endpoint: 'chat.completions',
      keyId,
      team: 'research',
      requestedModel: 'mock/mock-small',
      provider: 'mock',
      model: 'mock-small',
      status: 200,
      outcome: 'ok',
      promptTokens: 5,
      completionTokens: 2,
      tokensEstimated: false,
      stream: false,
      cache: 'none',
    });
    expect(record!.costUsd).toBeCloseTo((5 * 1 + 2 * 2) / 1e6, 12);
    expect(record!.attempts).toEqual([expect.objectContaining({ provider: 'mock', model: 'mock-small', status: 200 })]);
    expect(record!.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('asks a stream for its usage, records it, and still gives the client only what it asked for', async () => {
    const stream = await client().chat.completions.create({ model: 'mock/mock-small', stream: true, messages: [{ role: 'user', content: 'one two' }] }).withResponse();
    let sawUsage = false;
    for await (const part of stream.data) if (part.usage) sawUsage = true;
    expect(sawUsage).toBe(false);
    expect(upstream.requests.at(-1)?.body?.stream_options).toEqual({ include_usage: true });
    const requestId = stream.response.headers.get('x-request-id')!;
    await expect.poll(async () => (await logs(`&requestId=${requestId}`))[0]?.completionTokens, WRITE_BEHIND).toBeGreaterThan(0);
    const [record] = await logs(`&requestId=${requestId}`);
    expect(record).toMatchObject({ stream: true, outcome: 'ok', tokensEstimated: false, responseBody: 'echo: one two' });
    expect(record!.ttftMs).not.toBeNull();
  });

  it('bills a stream the client cancels for what was generated', async () => {
    const words = Array.from({ length: 40 }, (_, i) => `word${i} `).join('');
    upstream.enqueue({ stream: { chunks: wordChunks(words), chunkDelayMs: 20, done: true } });
    const controller = new AbortController();
    const stream = await client().chat.completions.create({ model: 'mock/mock-small', stream: true, messages: [{ role: 'user', content: 'long' }] }, { signal: controller.signal }).withResponse();
    const requestId = stream.response.headers.get('x-request-id')!;
    let seen = 0;
    // The SDK ends an aborted stream quietly or with an abort error, depending on timing.
    try {
      for await (const _ of stream.data) if (++seen === 5) controller.abort();
    } catch {
      // aborted
    }
    expect(seen).toBeLessThan(40);
    await expect.poll(async () => (await logs(`&requestId=${requestId}`)).length, WRITE_BEHIND).toBe(1);
    const [record] = await logs(`&requestId=${requestId}`);
    expect(record).toMatchObject({ outcome: 'client_aborted', tokensEstimated: true });
    expect(record!.completionTokens).toBeGreaterThan(0);
    expect(record!.completionTokens).toBeLessThan(40);
    expect(record!.costUsd).toBeGreaterThan(0);
  });

  it('records a failure with its attempts and error', async () => {
    upstream.enqueue({ status: 500, body: { error: { message: 'upstream exploded' } } });
    const error = await client().chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e as InstanceType<typeof OpenAI.APIError>);
    const requestId = (error as InstanceType<typeof OpenAI.APIError>).headers?.get('x-request-id');
    await expect.poll(async () => (await logs(`&requestId=${requestId}`)).length, WRITE_BEHIND).toBe(1);
    const [record] = await logs(`&requestId=${requestId}`);
    expect(record).toMatchObject({ status: 500, outcome: 'error', promptTokens: 0, completionTokens: 0 });
    expect(record!.attempts[0]).toMatchObject({ provider: 'mock', status: 500, error: 'mock: upstream exploded' });
  });

  it('records embeddings too, with their tokens and cost', async () => {
    const result = await client().embeddings.create({ model: 'mock/mock-small', input: ['a', 'b', 'c'], encoding_format: 'float' }).withResponse();
    expect(result.data.data).toHaveLength(3);
    const requestId = result.response.headers.get('x-request-id')!;
    await expect.poll(async () => (await logs(`&requestId=${requestId}`)).length, WRITE_BEHIND).toBe(1);
    const [record] = await logs(`&requestId=${requestId}`);
    expect(record).toMatchObject({ endpoint: 'embeddings', keyId, provider: 'mock', model: 'mock-small', status: 200, promptTokens: 6, completionTokens: 0, tokensEstimated: false });
    expect(record!.costUsd).toBeCloseTo(6 / 1e6, 12);
  });

  it('keeps a whole answer as JSON in the OpenAI view: the very text an OpenAI client got, the view for an Anthropic client', async () => {
    const openai = await post('/v1/chat/completions', JSON.stringify({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'as sent' }] }));
    const openaiText = await openai.text();
    const anthropic = await post('/v1/messages', JSON.stringify({ model: 'mock/mock-small', max_tokens: 50, messages: [{ role: 'user', content: 'as viewed' }] }));
    expect((await anthropic.json()) as Record<string, unknown>).toMatchObject({ type: 'message' });
    expect((await recordOf(openai)).responseBody).toBe(openaiText);
    const viewed = JSON.parse((await recordOf(anthropic)).responseBody!) as Record<string, unknown>;
    expect(viewed).toMatchObject({ object: 'chat.completion', choices: [expect.objectContaining({ message: expect.objectContaining({ content: 'echo: as viewed' }) })] });
  });

  it('keeps a request as the client sent it: the very text of an OpenAI client, streamed or not, the OpenAI view of an Anthropic one', async () => {
    // Spacing, key order, an escape and the gateway's own options, none of which JSON.stringify of
    // the parsed request would reproduce; streamed, the token counter also asks the upstream for
    // usage on the request, which the client did not send.
    const whole = '{ "messages": [ {"role":"user", "content":"caf\\u00e9 as sent"} ],\n  "model": "mock/mock-small", "gateway": {} }';
    expect((await recordOf(await post('/v1/chat/completions', whole))).requestBody).toBe(whole);
    const streamed = '{"stream":true,  "model":"mock/mock-small","messages":[{"role":"user","content":"streamed as sent"}]}';
    expect((await recordOf(await post('/v1/chat/completions', streamed))).requestBody).toBe(streamed);
    const embeddings = '{"model": "mock/mock-small", "input": ["a", "b"], "encoding_format": "float"}';
    expect((await recordOf(await post('/v1/embeddings', embeddings))).requestBody).toBe(embeddings);
    // Translated, the request is the OpenAI view, as the answer is.
    const asSent = JSON.stringify({ model: 'mock/mock-small', max_tokens: 50, messages: [{ role: 'user', content: 'as viewed' }] });
    const anthropic = (await recordOf(await post('/v1/messages', asSent))).requestBody!;
    expect(anthropic).not.toBe(asSent);
    expect(JSON.parse(anthropic)).toMatchObject({ model: 'mock/mock-small', max_tokens: 50, messages: [{ role: 'user', content: 'as viewed' }] });
  });

  it('keeps a request as JSON, whole when it fits the cap and cut at the cap when it does not', async () => {
    const send = async (content: string) => {
      const answer = await client().chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content }] }).withResponse();
      const requestId = answer.response.headers.get('x-request-id')!;
      await expect.poll(async () => (await logs(`&requestId=${requestId}`)).length, WRITE_BEHIND).toBe(1);
      return (await logs(`&requestId=${requestId}`))[0]!.requestBody!;
    };
    expect(JSON.parse(await send('a short question'))).toMatchObject({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'a short question' }] });
    // Past the cap (4096 bytes here): serialised only as far as the cap keeps.
    const long = await send(`long ${'word '.repeat(2000)}`);
    expect(long.endsWith('…[truncated]')).toBe(true);
    const kept = long.slice(0, -'…[truncated]'.length);
    expect(Buffer.byteLength(kept)).toBeLessThanOrEqual(4096);
    expect(Buffer.byteLength(kept)).toBeGreaterThan(4000);
    expect(kept.startsWith('{"model":"mock/mock-small","messages":[{"role":"user","content":"long word word')).toBe(true);
  });

  it('redacts keys, tokens, emails, phones and cards in stored bodies', async () => {
    const content = 'mail ana@example.com, key sk-proj-abcdefghijklmnopqrstuv, call +1 415 555 0100, card 4111 1111 1111 1111';
    const answer = await client().chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content }] }).withResponse();
    const requestId = answer.response.headers.get('x-request-id')!;
    await expect.poll(async () => (await logs(`&requestId=${requestId}`)).length, WRITE_BEHIND).toBe(1);
    const [record] = await logs(`&requestId=${requestId}`);
    for (const body of [record!.requestBody!, record!.responseBody!]) {
      expect(body).not.toContain('ana@example.com');
      expect(body).not.toContain('sk-proj-abcdefghijklmnopqrstuv');
      expect(body).not.toContain('4111 1111 1111 1111');
      expect(body).not.toContain('555 0100');
      expect(body).toContain('[REDACTED:email]');
      expect(body).toContain('[REDACTED:api_key]');
      expect(body).toContain('[REDACTED:card]');
    }
  });
});

describe('admin API', () => {
  it('/admin/usage shows the key\'s tokens and cost per model', async () => {
    await waitForRecords(3);
    const usage = (await admin(`/admin/usage?keyId=${keyId}&groupBy=keyId,model`)) as { data: Array<Record<string, unknown>> };
    expect(usage.data).toHaveLength(1);
    const row = usage.data[0]!;
    const records = await logs();
    expect(row).toMatchObject({ keyId, model: 'mock-small', requests: records.length });
    expect(row.promptTokens).toBe(records.reduce((n, r) => n + r.promptTokens, 0));
    expect(row.costUsd as number).toBeCloseTo(records.reduce((n, r) => n + (r.costUsd ?? 0), 0), 12);
  });

  it('/admin/usage?format=csv gives the same figures as a spreadsheet file', async () => {
    await waitForRecords(3);
    const query = `keyId=${keyId}&groupBy=keyId,model&bucket=day`;
    const json = (await admin(`/admin/usage?${query}`)) as { data: Array<Record<string, unknown>> };
    const res = await fetch(`${gw.url}/admin/usage?${query}&format=csv`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toMatch(/^attachment; filename="usage-\d{4}-\d{2}-\d{2}-\d{4}-\d{2}-\d{2}\.csv"$/);
    const [header, ...rows] = (await res.text()).trimEnd().split('\r\n');
    const columns = header!.split(',');
    expect(columns.slice(0, 4)).toEqual(['bucket', 'keyId', 'model', 'requests']);
    expect(rows).toHaveLength(json.data.length);
    const first = Object.fromEntries(rows[0]!.split(',').map((value, i) => [columns[i], value]));
    const expected = json.data[0]!;
    expect(first).toMatchObject({ bucket: expected.bucket, keyId, model: 'mock-small', requests: String(expected.requests), promptTokens: String(expected.promptTokens), costUsd: String(expected.costUsd) });
    const bad = await fetch(`${gw.url}/admin/usage?format=xlsx`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { param: 'format', type: 'invalid_request_error' } });
  });

  it('/admin/logs/export streams every record of the filter as NDJSON or CSV', async () => {
    await waitForRecords(3);
    const listed = await logs();
    const get = (query: string, headers: Record<string, string> = { authorization: `Bearer ${ADMIN}` }) => fetch(`${gw.url}/admin/logs/export?keyId=${keyId}${query}`, { headers });
    const ndjson = await get('');
    expect(ndjson.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
    expect(ndjson.headers.get('content-disposition')).toMatch(/^attachment; filename="logs-[\dT-]+\.ndjson"$/);
    const records = (await ndjson.text()).trimEnd().split('\n').map((line) => JSON.parse(line) as UsageRecord);
    expect(records.map((r) => r.requestId)).toEqual(listed.map((r) => r.requestId));
    const csv = await get('&format=csv&max=2');
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const rows = (await csv.text()).trimEnd().split('\r\n');
    expect(rows).toHaveLength(3);
    expect(rows[1]!.startsWith(`${listed[0]!.requestId},`)).toBe(true);
    const bad = await get('&format=xml');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { param: 'format', type: 'invalid_request_error' } });
    expect((await get('', {})).status).toBe(401);
    for (const param of ['cursor=x', 'limit=5']) {
      const paged = await get(`&${param}`);
      expect(paged.status).toBe(400);
      expect(((await paged.json()) as { error: { message: string } }).error.message).toMatch(/^The export takes no (cursor|limit)/);
    }
  });

  it('reads a date-time without an offset as UTC, whatever the server\'s time zone', async () => {
    await waitForRecords(3);
    const zone = process.env.TZ;
    process.env.TZ = 'America/New_York';
    try {
      // An hour ago in UTC, written without its Z: read in New York time it would be hours ahead, and match nothing.
      const hourAgo = new Date(Date.now() - 3_600_000).toISOString().slice(0, 16);
      expect((await logs(`&from=${hourAgo}`)).length).toBeGreaterThan(0);
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });

  it('/admin/logs pages with a cursor and refuses bad queries', async () => {
    const first = (await admin(`/admin/logs?keyId=${keyId}&limit=2`)) as { data: UsageRecord[]; next_cursor: string };
    expect(first.data).toHaveLength(2);
    const second = (await admin(`/admin/logs?keyId=${keyId}&limit=2&cursor=${encodeURIComponent(first.next_cursor)}`)) as { data: UsageRecord[] };
    expect(second.data.map((r) => r.requestId)).not.toContain(first.data[0]!.requestId);
    const bad = await fetch(`${gw.url}/admin/logs?limit=9000`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(bad.status).toBe(400);
    expect((await fetch(`${gw.url}/admin/usage`)).status).toBe(401);
  });
});

it('flushes every record at shutdown', async () => {
  const other = join(dir, 'flush.sqlite');
  const up = await startMockUpstream();
  const g = await startGateway({ usageLog: `sqlite://${other}`, providers: { mock: mockProvider(up) }, plugins: [usageLogger()] });
  const c = new OpenAI({ baseURL: g.baseURL, apiKey: 'x', maxRetries: 0 });
  await Promise.all(Array.from({ length: 25 }, () => c.chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'x' }] })));
  await g.close();
  await up.close();
  const log = await openUsageLog(`sqlite://${other}`, { logger: silentLogger });
  const { records } = await log.list({ limit: 100 });
  expect(records).toHaveLength(25);
  await log.close();
});
void chunk;
