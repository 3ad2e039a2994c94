/**
 * A WebSocket handshake is refused with a 426 in OpenAI's error format (core/http/refusals.ts).
 * Codex CLI with OpenAI as its provider opens the Responses API over a WebSocket first; on a 405
 * (what the gateway answered before, as for any method a path does not take) it retried the
 * handshake five times with backoff, about seven seconds and five "Reconnecting..." errors at the
 * start of every run, before falling back to HTTP. On a 426 it falls back at once. Raw handshakes
 * over a real socket.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let gw: RunningGateway;

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({ providers: { chat: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false } } });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

function handshake(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const url = new URL(gw.baseURL);
  return new Promise((resolve, reject) => {
    const req = request({
      host: url.hostname,
      port: url.port,
      path,
      headers: { connection: 'Upgrade', upgrade: 'websocket', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==', authorization: 'Bearer client-key', ...headers },
    });
    req.on('response', (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    // A server that switched protocols would answer here instead.
    req.on('upgrade', () => reject(new Error('the gateway accepted a WebSocket')));
    req.on('error', reject);
    req.end();
  });
}

describe('a WebSocket handshake', () => {
  it('on /v1/responses is a 426 with OpenAI error JSON', async () => {
    const { status, body } = await handshake('/v1/responses');
    expect(status).toBe(426);
    expect(JSON.parse(body)).toMatchObject({ error: { type: 'invalid_request_error', code: 'websocket_not_supported' } });
  });

  it('is a 426 on any path, and a plain GET of /v1/responses is still a 405', async () => {
    expect((await handshake('/v1/chat/completions')).status).toBe(426);
    expect((await handshake('/no/such/path', { upgrade: 'WebSocket' })).status).toBe(426);
    const plain = await fetch(`${gw.baseURL}/responses`);
    expect(plain.status).toBe(405);
  });
});
