/**
 * Request bodies sent compressed (`Content-Encoding`), over a real socket to a gateway in front of
 * a mock upstream. The Codex CLI and desktop app send their Responses requests as zstd when logged
 * in with ChatGPT, and other clients and proxies gzip large bodies. Before its fix the gateway read
 * every such body as it came, and answered 400 "We could not parse the JSON body" (invalid_json)
 * whatever the coding. Now gzip, deflate and br are decoded, and zstd where Node has it (22.15 and
 * later; on Node 20 a 415 says so); a coding it does not know is a 415, a body that does not
 * decode a 400, and one whose decoded size passes the body limit a 413 (core/http/content-coding.ts).
 */
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import * as zlib from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { mockProvider, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let gw: RunningGateway;
beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({ providers: { mock: mockProvider(upstream) }, server: { bodyLimit: '1mb' } });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});
beforeEach(() => upstream.reset());

const chat = { model: 'mock/gpt-4o-mini', messages: [{ role: 'user', content: 'compressed hello' }] };
const zstdCompressSync = (zlib as { zstdCompressSync?: (bytes: Buffer) => Buffer }).zstdCompressSync;

async function post(path: string, body: Buffer, encoding: string, headers: Record<string, string> = {}): Promise<{ status: number; json: Record<string, any> }> {
  const response = await fetch(`${gw.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': encoding, ...headers }, body });
  return { status: response.status, json: (await response.json()) as Record<string, any> };
}

describe('a compressed request body', () => {
  it.each([
    ['gzip', gzipSync],
    ['x-gzip', gzipSync],
    ['deflate', deflateSync],
    ['br', brotliCompressSync],
    ['GZIP', gzipSync],
  ] as const)('is decoded (%s), and the upstream is sent plain JSON', async (encoding, compress) => {
    const { status, json } = await post('/v1/chat/completions', compress(Buffer.from(JSON.stringify(chat))), encoding);
    expect(status).toBe(200);
    expect(json.choices[0].message.content).toContain('compressed hello');
    const sent = upstream.requests.at(-1)!;
    expect(sent.body).toMatchObject({ messages: [{ role: 'user', content: 'compressed hello' }] });
    expect(sent.headers['content-encoding']).toBeUndefined();
    expect(Number(sent.headers['content-length'])).toBe(Buffer.byteLength(sent.text));
  });

  it('undoes two codings, last applied first', async () => {
    const twice = brotliCompressSync(gzipSync(Buffer.from(JSON.stringify(chat))));
    const { status } = await post('/v1/chat/completions', twice, 'gzip, br');
    expect(status).toBe(200);
    expect(upstream.requests.at(-1)!.body).toMatchObject({ messages: [{ content: 'compressed hello' }] });
  });

  it('as zstd, the way Codex sends a Responses request: decoded where Node has zstd, else a 415 that says why', async () => {
    const request = { model: 'mock/gpt-4o-mini', input: 'zstd hello', stream: false };
    if (zstdCompressSync) {
      const { status, json } = await post('/v1/responses', zstdCompressSync(Buffer.from(JSON.stringify(request))), 'zstd');
      expect(status).toBe(200);
      expect(json.object).toBe('response');
      expect(upstream.requests.at(-1)!.text).toContain('zstd hello');
    } else {
      // Node 20: the bytes cannot be made here either, and need not be: the coding is refused before they are read.
      const { status, json } = await post('/v1/responses', Buffer.from('(\u00b5/\u00fdnot really zstd'), 'zstd');
      expect(status).toBe(415);
      expect(json.error).toMatchObject({ type: 'invalid_request_error', code: 'unsupported_content_encoding' });
      expect(json.error.message).toContain(`zstd needs Node.js 22.15 or later, and this gateway runs on ${process.version}`);
      expect(upstream.requests).toHaveLength(0);
    }
  });

  it('on /v1/messages, answers a coding it does not know in Anthropic\'s error shape (415)', async () => {
    const response = await fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-encoding': 'compress', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'mock/gpt-4o-mini', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(response.status).toBe(415);
    const json = (await response.json()) as Record<string, any>;
    expect(json.type).toBe('error');
    expect(json.error.type).toBe('invalid_request_error');
    expect(json.error.message).toMatch(/Content-Encoding "compress" is not supported: send it uncompressed, or as gzip, x-gzip, deflate, br/);
    expect(upstream.requests).toHaveLength(0);
  });

  it('that does not decode is a 400 naming the coding, not a parse error of the compressed bytes', async () => {
    const { status, json } = await post('/v1/chat/completions', Buffer.from(JSON.stringify(chat)), 'gzip');
    expect(status).toBe(400);
    expect(json.error.code).toBe('invalid_body');
    expect(json.error.message).toMatch(/could not be decompressed as gzip .*check its Content-Encoding/);
  });

  it('whose decoded size passes the body limit is a 413, however small it came (a 7 KB bomb of 8 MB)', async () => {
    const bomb = gzipSync(Buffer.from(`{"model":"mock/gpt-4o-mini","messages":[{"role":"user","content":"${' '.repeat(8 * 1024 * 1024)}"}]}`));
    expect(bomb.length).toBeLessThan(16 * 1024);
    const { status, json } = await post('/v1/chat/completions', bomb, 'gzip');
    expect(status).toBe(413);
    expect(json.error).toMatchObject({ code: 'request_too_large' });
    expect(json.error.message).toContain('decompressed, is larger than the gateway\'s limit of 1048576 bytes');
    // And the gateway goes on.
    expect((await post('/v1/chat/completions', gzipSync(Buffer.from(JSON.stringify(chat))), 'gzip')).status).toBe(200);
  });

  it('`identity` is no coding at all', async () => {
    const { status } = await post('/v1/chat/completions', Buffer.from(JSON.stringify(chat)), 'identity');
    expect(status).toBe(200);
  });

  it('with more codings than a client sends is a 415', async () => {
    const { status, json } = await post('/v1/chat/completions', Buffer.from(JSON.stringify(chat)), 'gzip, gzip, gzip');
    expect(status).toBe(415);
    expect(json.error.message).toContain('lists 3 codings; the gateway undoes at most 2');
  });
});
