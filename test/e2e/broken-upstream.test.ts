/**
 * Upstreams fail in every way real ones do; the client always gets a clean answer in OpenAI's
 * format, in bounded time, naming the provider, and a cut stream never looks complete.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { chunk, startMockUpstream, wordChunks, type MockUpstream, type Scenario } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let gw: RunningGateway;
let client: OpenAI;

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({
    providers: {
      mock: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false, timeouts: { firstByteMs: 400, idleMs: 400, totalMs: 3000 } },
      closed: { type: 'openai-compatible', baseURL: 'http://127.0.0.1:1/v1', listModels: false },
    },
  });
  client = new OpenAI({ baseURL: gw.baseURL, apiKey: 'k', maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});
beforeEach(() => {
  upstream.requests.length = 0;
});

const ask = (stream = false, model = 'mock/mock-small') =>
  fetch(`${gw.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, stream, messages: [{ role: 'user', content: 'hi' }] }),
  });

type ErrorBody = { error: { message: string; type: string; code: string | null; provider?: string } };

describe('upstream error responses keep their status and name the provider', () => {
  it.each<[number, string, string]>([
    [400, 'invalid_request_error', 'Bad things in the prompt'],
    [429, 'rate_limit_error', 'Rate limit reached'],
    [500, 'server_error', 'The server had an error'],
    [503, 'overloaded_error', 'Overloaded'],
  ])('%i', async (status, type, message) => {
    upstream.enqueue({ status, headers: status === 429 ? { 'retry-after': '7' } : {}, body: { error: { message, type, code: `c${status}`, param: null } } });
    const res = await ask();
    expect(res.status).toBe(status);
    expect(res.headers.get('x-gateway-provider')).toBe('mock');
    if (status === 429) expect(res.headers.get('retry-after')).toBe('7');
    const { error } = (await res.json()) as ErrorBody;
    expect(error).toMatchObject({ message: `mock: ${message}`, type, code: `c${status}`, provider: 'mock' });
  });

  it('the openai client sees the upstream status as its own error class', async () => {
    upstream.enqueue({ status: 429, headers: { 'retry-after': '3' }, body: { error: { message: 'slow down', type: 'requests', code: 'rate_limit_exceeded' } } });
    await expect(client.chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'x' }] })).rejects.toMatchObject({
      status: 429,
      message: expect.stringContaining('mock: slow down'),
    });
  });

  it('an HTML error page becomes a 502 naming the provider', async () => {
    upstream.enqueue({ status: 502, body: '<html><body>Bad Gateway</body></html>' });
    const res = await ask();
    expect(res.status).toBe(502);
    expect(((await res.json()) as ErrorBody).error.message).toMatch(/^mock: <html>/);
  });
});

describe('broken answers', () => {
  it.each<[string, Scenario, number, string]>([
    ['garbage bytes with status 200', { body: '\u0000\u00ff not json at all' }, 502, 'upstream_invalid_response'],
    ['JSON that is not a completion', { body: { hello: 'world' } }, 502, 'upstream_invalid_response'],
    ['a connection reset', { reset: true }, 502, 'upstream_connection_error'],
    ['a hang past firstByteMs', { hang: true }, 504, 'first_byte_timeout'],
  ])('%s → %s %s', async (_what, scenario, status, code) => {
    upstream.enqueue(scenario);
    const started = performance.now();
    const res = await ask();
    expect(res.status).toBe(status);
    const { error } = (await res.json()) as ErrorBody;
    expect(error).toMatchObject({ code, provider: 'mock' });
    expect(error.message).toMatch(/^mock: /);
    expect(performance.now() - started).toBeLessThan(2500);
  });

  it('an unreachable provider → 502 upstream_unreachable', async () => {
    const res = await ask(false, 'closed/any');
    expect(res.status).toBe(502);
    expect(((await res.json()) as ErrorBody).error).toMatchObject({ code: 'upstream_unreachable', provider: 'closed' });
  });
});

describe('broken streams', () => {
  async function rawStream(scenario: Scenario): Promise<{ status: number; body: string }> {
    upstream.enqueue(scenario);
    const res = await ask(true);
    return { status: res.status, body: await res.text() };
  }

  it('a stream cut mid-way ends with an error event and no [DONE]', async () => {
    const { status, body } = await rawStream({ stream: { chunks: wordChunks('a b c d e'), cutAfter: 3, chunkDelayMs: 20 } });
    expect(status).toBe(200);
    expect(body).toContain('"content":"a "');
    expect(body).not.toContain('[DONE]');
    const last = JSON.parse(body.trim().split('\n\n').at(-1)!.replace(/^data: /, '')) as ErrorBody;
    expect(last.error).toMatchObject({ provider: 'mock', code: 'upstream_connection_error' });
  });

  it('the openai client throws on a cut stream instead of ending quietly', async () => {
    upstream.enqueue({ stream: { chunks: wordChunks('a b c d e'), cutAfter: 3, chunkDelayMs: 20 } });
    const stream = await client.chat.completions.create({ model: 'mock/mock-small', stream: true, messages: [{ role: 'user', content: 'x' }] });
    let text = '';
    await expect(
      (async () => {
        for await (const part of stream) text += part.choices[0]?.delta.content ?? '';
      })(),
    ).rejects.toThrow(/mock: /);
    expect(text).toBe('a ');
  });

  it('a stream that ends without [DONE] or finish_reason is reported truncated', async () => {
    const chunks = wordChunks('a b c').slice(0, -1);
    const { body } = await rawStream({ stream: { chunks, done: false } });
    expect(body).not.toContain('[DONE]');
    expect(body).toContain('upstream_stream_truncated');
  });

  it('a stream that ends without [DONE] after its finish_reason is complete', async () => {
    const { body } = await rawStream({ stream: { chunks: wordChunks('a b'), done: false } });
    expect(body.trimEnd().endsWith('data: [DONE]')).toBe(true);
  });

  it('a stream stalled past idleMs ends with an idle_timeout error event', async () => {
    const started = performance.now();
    const { body } = await rawStream({ stream: { chunks: wordChunks('a b c d'), stallAfter: 2 } });
    expect(body).toContain('idle_timeout');
    expect(body).not.toContain('[DONE]');
    expect(performance.now() - started).toBeLessThan(2500);
  });

  it('an error event from the upstream mid-stream is forwarded', async () => {
    const { body } = await rawStream({ stream: { chunks: [chunk({ content: 'par' }), { error: { message: 'overloaded mid-way', type: 'server_error' } }] } });
    expect(body).toContain('"content":"par"');
    expect(body).toContain('mock: overloaded mid-way');
    expect(body).not.toContain('[DONE]');
  });

  it.each<[string, Scenario]>([
    ['a first event that is not JSON', { stream: { chunks: ['data: {oops\n\n'] } }],
    ['a reset right after the headers', { stream: { chunks: wordChunks('a b'), cutAfter: 0 } }],
    ['an error status instead of a stream', { status: 503, body: { error: { message: 'busy' } } }],
  ])('%s before the first chunk gets a real HTTP error, not a 200', async (_what, scenario) => {
    const { status, body } = await rawStream(scenario);
    expect(status).toBeGreaterThanOrEqual(500);
    expect((JSON.parse(body) as ErrorBody).error.provider).toBe('mock');
  });

  it('answering JSON to a stream request is an error, not a silent success', async () => {
    const { status, body } = await rawStream({ body: { choices: [] } });
    expect(status).toBe(502);
    expect(body).toMatch(/a stream was asked for/);
  });

  it('the gateway still serves normally after all of the above', async () => {
    const answer = await client.chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'still here?' }] });
    expect(answer.choices[0]?.message.content).toBe('echo: still here?');
  });
});
