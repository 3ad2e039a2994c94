/**
 * gateway:retry through real sockets: the first target of a stack fails in every way real
 * providers do, and the client still gets an answer from the next one (or a clear refusal).
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { definePlugin, retry } from '../../../index.js';
import { startGateway, type RunningGateway } from '../../support/gateway.js';
import { completion, mockProvider, startMockUpstream, wordChunks, type MockUpstream, type Scenario } from '../../support/mock-upstream.js';

/** An interceptor outside retry that adds a header to the call: every try must carry it. */
const outerHeader = definePlugin({
  name: 'test:outer-header',
  setup: () => ({ upstream: (next) => (call) => next({ ...call, headers: { ...call.headers, 'x-outer': 'kept' } }) }),
});

let primary: MockUpstream;
let secondary: MockUpstream;
let gw: RunningGateway;
let client: OpenAI;
const chats = (m: MockUpstream) => m.requests.filter((r) => r.path === '/v1/chat/completions').length;

beforeAll(async () => {
  primary = await startMockUpstream();
  secondary = await startMockUpstream();
  const provider = (up: MockUpstream) => mockProvider(up, { timeouts: { firstByteMs: 300, idleMs: 300 } });
  gw = await startGateway({
    providers: { primary: provider(primary), secondary: provider(secondary), down: { type: 'openai-compatible', baseURL: 'http://127.0.0.1:1/v1', listModels: false } },
    models: {
      stack: { targets: ['primary/mock-small', 'secondary/mock-large'] },
      'down-first': { targets: ['down/any', 'secondary/mock-large'] },
    },
    plugins: [outerHeader(), retry({ attempts: 2, backoff: { initialMs: 20, jitter: 'none' }, maxRetryAfterMs: 1000 })],
  });
  client = new OpenAI({ baseURL: gw.baseURL, apiKey: 'k', maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await primary?.close();
  await secondary?.close();
});
beforeEach(() => {
  primary.reset();
  secondary.reset();
});

const ask = (stream = false) =>
  fetch(`${gw.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'stack', stream, messages: [{ role: 'user', content: 'hi' }] }),
  });

const serverError: Scenario = { status: 500, body: { error: { message: 'boom' } } };

describe('retry on the same target', () => {
  it('retries a 500 once and succeeds there', async () => {
    primary.enqueue(serverError);
    const res = await ask();
    expect(res.status).toBe(200);
    expect(res.headers.get('x-gateway-provider')).toBe('primary');
    expect(res.headers.get('x-gateway-attempts')).toBe('2');
    expect(res.headers.get('x-gateway-fallback')).toBe('false');
    expect(chats(primary)).toBe(2);
    expect(chats(secondary)).toBe(0);
    // What an interceptor outside retry added to the call goes with every try.
    expect(primary.requests.map((r) => r.headers['x-outer'])).toEqual(['kept', 'kept']);
  });

  it('waits for a short Retry-After before retrying', async () => {
    primary.enqueue({ status: 429, headers: { 'retry-after': '0.3' }, body: { error: { message: 'slow' } } });
    const started = performance.now();
    const res = await ask();
    expect(res.status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(280);
    expect(res.headers.get('x-gateway-provider')).toBe('primary');
  });

  it('does not retry or fall back on a client error', async () => {
    primary.enqueue({ status: 400, body: { error: { message: 'bad request', code: 'bad' } } });
    const res = await ask();
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe('primary: bad request');
    expect(chats(primary)).toBe(1);
    expect(chats(secondary)).toBe(0);
  });
});

describe('fallback to the next target', () => {
  it.each<[string, Scenario]>([
    ['500s', serverError],
    ['connection resets', { reset: true }],
    ['hangs past the first-byte timeout', { hang: true }],
    ['garbage answers', { body: 'not json' }],
  ])('after repeated %s', async (_what, scenario) => {
    primary.enqueue(scenario, scenario);
    const res = await ask();
    expect(res.status).toBe(200);
    expect(res.headers.get('x-gateway-provider')).toBe('secondary');
    expect(res.headers.get('x-gateway-model')).toBe('mock-large');
    expect(res.headers.get('x-gateway-fallback')).toBe('true');
    expect(res.headers.get('x-gateway-attempts')).toBe('3');
    expect(((await res.json()) as { choices: Array<{ message: { content: string } }> }).choices[0]?.message.content).toBe('echo: hi');
  });

  it('at once when Retry-After is longer than maxRetryAfterMs', async () => {
    primary.enqueue({ status: 429, headers: { 'retry-after': '60' }, body: { error: { message: 'quota' } } });
    const started = performance.now();
    const res = await ask();
    expect(res.status).toBe(200);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(res.headers.get('x-gateway-provider')).toBe('secondary');
    expect(chats(primary)).toBe(1);
  });

  it('for a stream that fails before its first chunk', async () => {
    const cut: Scenario = { stream: { chunks: wordChunks('lost'), cutAfter: 0 } };
    primary.enqueue(cut, cut);
    const res = await ask(true);
    expect(res.status).toBe(200);
    expect(res.headers.get('x-gateway-provider')).toBe('secondary');
    const body = await res.text();
    expect(body).toContain('"content":"echo: "');
    expect(body.trimEnd().endsWith('data: [DONE]')).toBe(true);
  });

  it('but never once a stream has started: it ends with an error event', async () => {
    primary.enqueue({ stream: { chunks: wordChunks('half an answer here'), cutAfter: 3, chunkDelayMs: 20 } });
    const res = await ask(true);
    expect(res.status).toBe(200);
    const body = await res.text();
    expect(body).toContain('"content":"half "');
    expect(body).toContain('"error"');
    expect(body).not.toContain('[DONE]');
    expect(chats(secondary)).toBe(0);
  });

  it('the openai client gets an answer when the first provider of a stack is down', async () => {
    const { data, response } = await client.chat.completions.create({ model: 'down-first', messages: [{ role: 'user', content: 'anyone?' }] }).withResponse();
    expect(data.choices[0]?.message.content).toBe('echo: anyone?');
    expect(response.headers.get('x-gateway-provider')).toBe('secondary');
    expect(response.headers.get('x-gateway-fallback')).toBe('true');
  });
});

describe('when every target fails', () => {
  it('answers 503 naming each failure, with the earliest Retry-After', async () => {
    primary.enqueue(serverError, serverError);
    // A Retry-After longer than maxRetryAfterMs is not waited for: one try on the last target.
    secondary.enqueue({ status: 503, headers: { 'retry-after': '5' }, body: { error: { message: 'down' } } });
    const res = await ask();
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('5');
    const { error } = (await res.json()) as { error: { code: string; message: string } };
    expect(error.code).toBe('all_targets_failed');
    expect(error.message).toMatch(/All 2 targets failed after 3 attempts \(primary\/mock-small: 500 primary: boom; .*secondary\/mock-large: 503 secondary: down/);
  });

  it('answers 429 when they are all rate-limited', async () => {
    const limited = (seconds: string): Scenario => ({ status: 429, headers: { 'retry-after': seconds }, body: { error: { message: 'limited' } } });
    primary.enqueue(limited('30'));
    secondary.enqueue(limited('20'));
    const res = await ask();
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('20');
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('all_targets_rate_limited');
  });

  it('a model with one target keeps that target\'s own error', async () => {
    primary.enqueue(serverError, serverError);
    const res = await fetch(`${gw.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'primary/mock-small', messages: [{ role: 'user', content: 'x' }] }) });
    expect(res.status).toBe(500);
    expect(res.headers.get('x-gateway-attempts')).toBe('2');
    expect(((await res.json()) as { error: { message: string } }).error.message).toBe('primary: boom');
  });
});

describe('the deadline', () => {
  let slow: MockUpstream;
  let deadlineGw: RunningGateway;
  beforeAll(async () => {
    slow = await startMockUpstream();
    deadlineGw = await startGateway({
      providers: { slow: mockProvider(slow), spare: mockProvider(secondary) },
      models: { slowstack: { targets: ['slow/mock-small', 'spare/mock-large'] } },
      plugins: [retry({ attempts: 2, deadlineMs: 300, backoff: { initialMs: 10, jitter: 'none' } })],
    });
  });
  afterAll(async () => {
    await deadlineGw?.close();
    await slow?.close();
  });
  beforeEach(() => slow.reset());
  const post = (stream = false) =>
    fetch(`${deadlineGw.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'slowstack', stream, messages: [{ role: 'user', content: 'x' }] }) });

  it('cuts a try that is still waiting when it passes, closing the upstream connection', async () => {
    slow.enqueue({ delayMs: 5000, body: completion() });
    const aborted = slow.nextClientAbort();
    const started = performance.now();
    const res = await post();
    const took = performance.now() - started;
    expect(res.status).toBe(504);
    const { error } = (await res.json()) as { error: { message: string; code: string } };
    expect(error.code).toBe('deadline_exceeded');
    expect(error.message).toMatch(/deadline of 300 ms passed/);
    expect(took).toBeLessThan(2000);
    await aborted;
    // No time was left for the next target.
    expect(chats(secondary)).toBe(0);
  });

  it('passing after a target failed, names every failure and cuts the try still waiting', async () => {
    slow.enqueue(serverError, serverError);
    secondary.enqueue({ delayMs: 5000, body: completion() });
    const aborted = secondary.nextClientAbort();
    const res = await post();
    expect(res.status).toBe(503);
    const { error } = (await res.json()) as { error: { message: string; code: string } };
    expect(error.code).toBe('all_targets_failed');
    expect(error.message).toContain('slow/mock-small: 500 slow: boom');
    expect(error.message).toMatch(/spare\/mock-large: 504 The request's deadline of 300 ms passed/);
    await aborted;
    expect(chats(slow)).toBe(2);
  });

  it('leaves alone a stream that started before it', async () => {
    // A stream starts with its first content (a role-only chunk is preamble): 'one' at 150 ms.
    slow.enqueue({ stream: { chunks: wordChunks('one two three four').slice(1), chunkDelayMs: 150 } });
    const res = await post(true);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain('four');
    expect(text.trim().endsWith('data: [DONE]')).toBe(true);
  });
});
