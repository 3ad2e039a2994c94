/**
 * The provider kit's bounds on what it reads of an upstream body, over a real socket: `readText`
 * reads a whole answer up to the client's `maxResponseBytes` (counted as it comes when chunked,
 * refused from its Content-Length when declared), `expectOk` reads an error body up to 64 KiB and
 * keeps its start, and `decodeSse` holds one event up to `maxEventChars`. Past a bound the
 * connection is closed and the failure is a retryable 502 `upstream_response_too_large` naming the
 * provider. The end-to-end case (200 MB sent, the gateway's own defaults): test/e2e/upstream-body-limits.test.ts.
 */
import type http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GatewayError } from '../../../core/errors.js';
import { ERROR_BODY_KEPT_BYTES, UpstreamHttpClient } from '../../../sdk/provider-kit/http-client.js';
import { decodeSse } from '../../../sdk/provider-kit/sse-decoder.js';
import { startRawUpstream, type RawUpstream } from '../../support/raw-upstream.js';

let up: RawUpstream;
let client: UpstreamHttpClient;
const LIMIT = 10_000;

beforeAll(async () => {
  up = await startRawUpstream();
  client = new UpstreamHttpClient({ provider: 'p', baseURL: up.baseURL, maxResponseBytes: LIMIT, timeouts: { idleMs: 2000, totalMs: 5000 } });
});
afterAll(async () => {
  await client?.close();
  await up?.close();
});

const send = () => client.send({ method: 'POST', path: '/x', headers: {}, body: '{}', signal: new AbortController().signal });

/** Resolves when the connection of the next response closes. */
function closed(res: http.ServerResponse): Promise<void> {
  return new Promise((resolve) => res.socket!.once('close', () => resolve()));
}

async function failure(work: Promise<unknown>): Promise<GatewayError> {
  const error = await work.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(GatewayError);
  return error as GatewayError;
}

describe('readText', () => {
  it('reads a chunked answer within the limit whole, in pieces, its byte order mark dropped', async () => {
    const piece = 'é'.repeat(1000); // 2000 bytes
    up.handler = (_q, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(Buffer.from([0xef, 0xbb, 0xbf]));
      res.write(Buffer.from(piece).subarray(0, 999)); // cut inside a character
      res.write(Buffer.from(piece).subarray(999));
      setTimeout(() => res.end(piece + piece + piece), 5);
    };
    expect(await client.readText(await send())).toBe(piece.repeat(4));
  });

  it('fails a chunked answer past the limit, closing its connection', async () => {
    let gone!: Promise<void>;
    up.handler = (_q, res) => {
      gone = closed(res);
      res.writeHead(200, { 'content-type': 'application/json' });
      const timer = setInterval(() => (res.destroyed ? clearInterval(timer) : res.write('x'.repeat(4000))), 2);
    };
    const error = await failure(client.readText(await send()));
    expect(error).toMatchObject({ status: 502, code: 'upstream_response_too_large', retryable: true, provider: 'p' });
    expect(error.message).toMatch(/^p: /);
    await gone;
  });

  it('refuses an answer whose Content-Length is past the limit before reading it', async () => {
    let gone!: Promise<void>;
    up.handler = (_q, res) => {
      gone = closed(res);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(LIMIT + 1) });
      res.write('{"a":'); // and never the rest
    };
    const error = await failure(client.readJson(await send()));
    expect(error).toMatchObject({ status: 502, code: 'upstream_response_too_large', retryable: true, provider: 'p' });
    await gone;
  });

  it('reads an answer of exactly the limit, declared or not', async () => {
    const text = 'y'.repeat(LIMIT);
    up.handler = (_q, res) => res.end(text); // Content-Length
    const declared = await send();
    expect(declared.headers['content-length']).toBe(String(LIMIT));
    expect(await client.readText(declared)).toBe(text);
    up.handler = (_q, res) => {
      res.writeHead(200);
      res.write(text.slice(0, 5000));
      res.end(text.slice(5000));
    };
    expect(await client.readText(await send())).toBe(text);
  });

  it('takes a limit of its own for one read', async () => {
    up.handler = (_q, res) => {
      res.writeHead(200);
      res.end('z'.repeat(LIMIT * 3));
    };
    expect(await client.readText(await send(), LIMIT * 3)).toHaveLength(LIMIT * 3);
  });
});

describe('expectOk', () => {
  it('reads an endless error body only so far, keeping its start, and closes the connection', async () => {
    let gone!: Promise<void>;
    up.handler = (_q, res) => {
      gone = closed(res);
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.write('overloaded: ');
      const timer = setInterval(() => (res.destroyed ? clearInterval(timer) : res.write('x'.repeat(16 * 1024))), 2);
    };
    let seen = '';
    const error = await failure(
      client.expectOk(await send(), (provider, status, _h, text) => {
        seen = text;
        return new GatewayError('upstream', `${provider}: ${status}`, { provider, status, retryable: true });
      }),
    );
    expect(error.status).toBe(503);
    expect(seen.startsWith('overloaded: xxx')).toBe(true);
    expect(seen.length).toBe(ERROR_BODY_KEPT_BYTES);
    await gone;
  });
});

describe('decodeSse', () => {
  it('fails the stream when one event grows past the limit (data lines without a blank line), after the events before it', async () => {
    let gone!: Promise<void>;
    up.handler = (_q, res) => {
      gone = closed(res);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: first\n\n');
      const timer = setInterval(() => (res.destroyed ? clearInterval(timer) : res.write(`data: ${'d'.repeat(500)}\n`)), 2);
    };
    const events = decodeSse(await send(), 5000);
    expect((await events.next()).value).toMatchObject({ data: 'first' });
    const error = await failure(events.next());
    expect(error).toMatchObject({ status: 502, code: 'upstream_response_too_large', retryable: true, provider: 'p' });
    expect(await events.next()).toEqual({ done: true, value: undefined });
    await gone;
  });

  it('fails the stream on an `error:` line without end', async () => {
    let gone!: Promise<void>;
    up.handler = (_q, res) => {
      gone = closed(res);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('error: ');
      const timer = setInterval(() => (res.destroyed ? clearInterval(timer) : res.write('e'.repeat(1000))), 2);
    };
    const error = await failure(decodeSse(await send(), 5000).next());
    expect(error).toMatchObject({ code: 'upstream_response_too_large', provider: 'p' });
    await gone;
  });
});
