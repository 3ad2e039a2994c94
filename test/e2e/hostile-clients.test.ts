/**
 * Clients that attack the server rather than ask it something: a body trickled a byte at a time,
 * headers that never end, JSON nested 50 000 deep, arrays and strings past the limits. Each is cut
 * in bounded time, in the API's own error format, before parsing costs anything, on every
 * front-end; and the limits on receiving a request never touch how long its answer may stream.
 */
import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startMockUpstream, wordChunks, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let gw: RunningGateway;

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({
    server: { timeouts: { headersMs: 600, bodyMs: 1500 }, inputLimits: { maxArrayLength: 1000, maxStringLength: 4096 } },
    providers: { mock: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false } },
  });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

/** Opens a raw connection and collects everything the gateway sends until it closes. */
function rawConnection(): { socket: Socket; received: Promise<{ text: string; afterMs: number }> } {
  const { port } = new URL(gw.url);
  const socket = connect(Number(port), '127.0.0.1');
  const started = performance.now();
  let text = '';
  socket.on('data', (d) => (text += d.toString()));
  const received = new Promise<{ text: string; afterMs: number }>((resolve) => socket.on('close', () => resolve({ text, afterMs: performance.now() - started })));
  socket.on('error', () => undefined);
  return { socket, received };
}

const bodyOf = (response: string) => JSON.parse(response.slice(response.indexOf('\r\n\r\n') + 4)) as Record<string, any>;

describe('slow clients', () => {
  it.each([
    ['/v1/chat/completions', (b: Record<string, any>) => expect(b.error).toMatchObject({ code: 'request_timeout', type: 'invalid_request_error' })],
    ['/v1/messages', (b: Record<string, any>) => expect(b).toMatchObject({ type: 'error', error: { type: 'invalid_request_error', code: 'request_timeout' } })],
  ])('a body trickled one byte at a time on %s is cut with a 408 in its format, and the connection closed', async (path, check) => {
    const body = JSON.stringify({ model: 'mock/mock-small', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] });
    const { socket, received } = rawConnection();
    socket.write(`POST ${path} HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`);
    let sent = 0;
    const trickle = setInterval(() => {
      if (sent < body.length && !socket.destroyed) socket.write(body[sent++]!);
    }, 400);
    const { text, afterMs } = await received;
    clearInterval(trickle);
    expect(text).toMatch(/^HTTP\/1\.1 408 /);
    expect(text.toLowerCase()).toContain('connection: close');
    check(bodyOf(text));
    expect(afterMs).toBeLessThan(5000);
    expect(sent).toBeLessThan(body.length);
  });

  it('headers that never complete: the connection is closed', async () => {
    const { socket, received } = rawConnection();
    socket.write('POST /v1/chat/completions HTTP/1.1\r\nhost: x\r\n');
    const trickle = setInterval(() => !socket.destroyed && socket.write('x'), 200);
    const { text, afterMs } = await received;
    clearInterval(trickle);
    expect(text === '' || /^HTTP\/1\.1 408 /.test(text)).toBe(true);
    expect(afterMs).toBeLessThan(5000);
  });

  it('an answer may stream for longer than a request may take to arrive', async () => {
    upstream.enqueue({ stream: { chunks: wordChunks('one two three four five six seven eight nine ten'), chunkDelayMs: 250 } });
    const started = performance.now();
    const res = await fetch(`${gw.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'mock/mock-small', stream: true, messages: [{ role: 'user', content: 'hi' }] }),
    });
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(performance.now() - started).toBeGreaterThan(1500 + 600);
    expect(text).toContain('ten');
    expect(text).toContain('data: [DONE]');
  });
});

const deep = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);

describe('hostile shapes are refused before parsing, in each API format', () => {
  const openai = (status: number, code: string) => (res: Response, b: Record<string, any>) => {
    expect(res.status).toBe(status);
    expect(b.error).toMatchObject({ code });
  };
  const anthropic = (status: number, code: string) => (res: Response, b: Record<string, any>) => {
    expect(res.status).toBe(status);
    expect(b).toMatchObject({ type: 'error', error: { code } });
  };
  const cases: Array<[string, string, string, (res: Response, b: Record<string, any>) => void]> = [
    ['50 000-deep messages', '/v1/chat/completions', `{"model":"mock/mock-small","messages":${deep(50_000)}}`, openai(400, 'too_deep')],
    ['50 000-deep messages', '/v1/messages', `{"model":"mock/mock-small","max_tokens":5,"messages":${deep(50_000)}}`, anthropic(400, 'too_deep')],
    ['50 000-deep input', '/v1/responses', `{"model":"mock/mock-small","input":${deep(50_000)}}`, openai(400, 'too_deep')],
    ['50 000-deep input', '/v1/embeddings', `{"model":"mock/mock-small","input":${deep(50_000)}}`, openai(400, 'too_deep')],
    ['a 5 000-element array', '/v1/chat/completions', JSON.stringify({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'x' }], stop: Array(5000).fill('a') }), openai(413, 'array_too_long')],
    ['a 5 000-element array', '/v1/messages', JSON.stringify({ model: 'mock/mock-small', max_tokens: 5, messages: Array(5000).fill({ role: 'user', content: 'x' }) }), anthropic(413, 'array_too_long')],
    ['a 10 000-character string', '/v1/chat/completions', JSON.stringify({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'x'.repeat(10_000) }] }), openai(413, 'string_too_long')],
    ['a 10 000-character string', '/v1/messages', JSON.stringify({ model: 'mock/mock-small', max_tokens: 5, messages: [{ role: 'user', content: 'x'.repeat(10_000) }] }), anthropic(413, 'string_too_long')],
    ['a 10 000-character string', '/v1/responses', JSON.stringify({ model: 'mock/mock-small', input: 'x'.repeat(10_000) }), openai(413, 'string_too_long')],
  ];
  it.each(cases)('%s on %s', async (_name, path, body, check) => {
    upstream.requests.length = 0;
    const res = await fetch(`${gw.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    check(res, (await res.json()) as Record<string, any>);
    expect(upstream.requests).toHaveLength(0);
  });

  it('a body within the limits still goes through', async () => {
    const res = await fetch(`${gw.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'y'.repeat(4000) }], tools: [{ type: 'function', function: { name: 'f', parameters: { type: 'object', properties: { a: { type: 'object', properties: { b: { type: 'array', items: { type: 'string' } } } } } } } }] }),
    });
    expect(res.status).toBe(200);
  });
});
