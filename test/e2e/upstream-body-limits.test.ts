/**
 * An upstream body is read into memory only up to a bound (docs/reliability.md, "Upstreams"): a
 * whole answer up to the client's `maxResponseBytes` (64 MiB by default), an error body up to
 * 64 KiB, one server-sent event up to 16 MiB characters. Past that the gateway closes the
 * connection and answers a 502 in OpenAI's format (`upstream_response_too_large`, retryable, naming
 * the provider). Here the upstream sends up to 200 MB (a JSON string without end, an SSE line
 * without end, an endless error page) and the gateway must have given up well before 100 MB.
 *
 * Before its fix, every byte was buffered until the upstream stopped or the idle / total timeouts
 * (600 s by default) ran out: undici's `body.text()` without a limit in http-client.ts `readText`
 * and `expectOk` (and in the OpenAI adapter's Responses reader), and eventsource-parser's pending
 * fragments without `maxBufferSize` in sse-decoder.ts.
 */
import http from 'node:http';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { chat, startRawUpstream, type RawUpstream } from '../support/raw-upstream.js';

const MB = 1024 * 1024;
/** What the upstream sends at most; then it holds the connection open, sending nothing. */
const SENT_AT_MOST = 200 * MB;
/** What a bounded gateway may have read off the connection before giving up. */
const BOUND = 100 * MB;

let up: RawUpstream;
let gw: RunningGateway;
let written = 0;
let closedAfter: Promise<number>;

/** The most this process's heap and buffers grew while `work` ran (sampled every 20 ms). */
async function peakGrowth<T>(work: () => Promise<T>): Promise<[T, number]> {
  const used = () => { const m = process.memoryUsage(); return m.heapUsed + m.arrayBuffers; };
  const base = used();
  let peak = 0;
  const timer = setInterval(() => (peak = Math.max(peak, used() - base)), 20);
  try {
    return [await work(), peak];
  } finally {
    clearInterval(timer);
  }
}

/** Writes `head`, then `fill` in 1 MB pieces (with backpressure) up to SENT_AT_MOST, then nothing. */
function endless(res: http.ServerResponse, head: string, fill: string, contentType: string, status = 200) {
  written = 0;
  let closed!: (n: number) => void;
  closedAfter = new Promise((r) => (closed = r));
  res.socket!.on('close', () => closed(written));
  res.writeHead(status, { 'content-type': contentType });
  res.write(head);
  const piece = Buffer.alloc(MB, fill);
  const pump = () => {
    while (written < SENT_AT_MOST && !res.destroyed) {
      written += piece.length;
      if (!res.write(piece)) return void res.once('drain', pump);
    }
  };
  pump();
}

beforeAll(async () => {
  up = await startRawUpstream();
  gw = await startGateway({ providers: { p: { type: 'openai-compatible', baseURL: up.baseURL, apiKey: 'k', listModels: false, timeouts: { firstByteMs: 2000, idleMs: 1500, totalMs: 15_000 } } } });
});
afterAll(async () => {
  await gw?.close();
  await up?.close();
});
afterEach(() => {
  globalThis.gc?.();
});

describe('an enormous upstream body is not read into memory without bound', () => {
  it('a non-streamed answer that goes on and on (a JSON string without end)', async () => {
    up.handler = (_q, res) => endless(res, '{"id":"x","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"', 'a', 'application/json');
    const res = await chat(gw.baseURL, { model: 'p/m' });
    const body = (await res.json()) as { error?: { code?: string } };
    const read = await closedAfter;
    console.log('non-streamed: status', res.status, body.error?.code, 'upstream wrote', Math.round(read / MB), 'MB before the gateway closed');
    expect(read).toBeLessThan(BOUND);
    expect(res.status).toBe(502);
    expect(body.error?.code).toBe('upstream_response_too_large');
  });

  it('a stream that sends one SSE line without end', async () => {
    up.handler = (_q, res) => endless(res, 'data: {"id":"x","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"', 'a', 'text/event-stream');
    const [[res, text], grew] = await peakGrowth(async () => {
      const res = await chat(gw.baseURL, { model: 'p/m', stream: true });
      return [res, await res.text()] as const;
    });
    const read = await closedAfter;
    console.log('stream: status', res.status, text.slice(0, 200), 'upstream wrote', Math.round(read / MB), 'MB before the gateway closed; heap+buffers grew by', Math.round(grew / MB), 'MB');
    expect(read).toBeLessThan(BOUND);
    expect(res.status).toBe(502);
    expect((JSON.parse(text) as { error?: { code?: string } }).error?.code).toBe('upstream_response_too_large');
  });

  it('an error page (HTTP 502) that goes on and on', async () => {
    up.handler = (_q, res) => endless(res, '<html><body>', 'x', 'text/html', 502);
    const res = await chat(gw.baseURL, { model: 'p/m' });
    await res.text();
    const read = await closedAfter;
    console.log('error page: status', res.status, 'upstream wrote', Math.round(read / MB), 'MB before the gateway closed');
    expect(read).toBeLessThan(BOUND);
    expect(res.status).toBe(502);
  });
});
