/**
 * What metrics, traces and the access log say of a request matches what happened
 * (docs/observability.md): a client gone while still sending its body is a 499, as inside the
 * pipeline; `gen_ai_operation_name` is `text_completion` on /v1/completions in the metrics, as on
 * the spans; a request that fell back past an open circuit counts in `llm_gateway_fallbacks_total`,
 * as x-gateway-fallback says; a stream's time to first token is observed however the stream ended
 * after its first chunk. Before their fixes: 404 (Koa's default) in the access log and the span;
 * `chat` in the metrics; no fallback counted while a circuit was open (no try was made to the first
 * target); no time to first token for a stream the client left.
 */
import { connect } from 'node:net';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { accessLog, circuitBreaker, metrics, retry, tracing } from '../../index.js';
import { createLogger } from '../../core/logger.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { mockProvider, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlp-receiver.js';

let primary: MockUpstream;
let secondary: MockUpstream;
let receiver: OtlpReceiver;
const running: RunningGateway[] = [];
const lines: Array<Record<string, unknown>> = [];
const logger = createLogger({ level: 'info', format: 'json', write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) });

beforeAll(async () => {
  primary = await startMockUpstream();
  secondary = await startMockUpstream();
  receiver = await startOtlpReceiver();
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((g) => g.close()));
  primary.reset();
  secondary.reset();
  lines.length = 0;
});
afterAll(async () => {
  await primary?.close();
  await secondary?.close();
  await receiver?.close();
});

const start = async (...args: Parameters<typeof startGateway>) => {
  const gw = await startGateway(...args);
  running.push(gw);
  return gw;
};

function series(text: string, name: string): Array<{ labels: Record<string, string>; value: number }> {
  const out: Array<{ labels: Record<string, string>; value: number }> = [];
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]));
    out.push({ labels, value: Number(match[3]) });
  }
  return out;
}
const scrape = async (gw: RunningGateway) => (await fetch(`${gw.url}/metrics`)).text();
const sum = (s: Array<{ value: number }>) => s.reduce((a, b) => a + b.value, 0);

/** Sends a request's headers and half its body, then drops the connection. */
async function leaveWhileUploading(gw: RunningGateway, requestId: string): Promise<void> {
  const { port } = new URL(gw.url);
  const socket = connect(Number(port), '127.0.0.1');
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write(
    `POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nx-request-id: ${requestId}\r\nContent-Length: 1000\r\n\r\n{"model":"mock/mock-small","messages":[`,
  );
  await new Promise((resolve) => setTimeout(resolve, 150));
  socket.destroy();
  await new Promise((resolve) => setTimeout(resolve, 150));
}

describe('a client that leaves while still sending its body (before the pipeline)', () => {
  it('is logged by the access log with status 499, not Koa\'s default 404', async () => {
    const gw = await start({ providers: { mock: mockProvider(primary) }, plugins: [accessLog()] }, { logger });
    await leaveWhileUploading(gw, 'left-uploading-1');
    await vi.waitFor(() => expect(lines.some((l) => l.requestId === 'left-uploading-1')).toBe(true));
    const line = lines.find((l) => l.requestId === 'left-uploading-1')!;
    expect(line.outcome).toBe('client_aborted');
    // Nothing was "not found": the client left before anything was sent (499, as inside the pipeline).
    expect(line.status).not.toBe(404);
    expect(line.status).toBe(499);
  });

  it('has a SERVER span with status 499, not error.type 404', async () => {
    const gw = await start({ providers: { mock: mockProvider(primary) }, plugins: [tracing({ endpoint: receiver.url })] });
    await leaveWhileUploading(gw, 'left-uploading-2');
    const spans = await receiver.waitFor((s) => s.some((x) => x.attributes['llm_gateway.request_id'] === 'left-uploading-2'));
    const span = spans.find((x) => x.attributes['llm_gateway.request_id'] === 'left-uploading-2')!;
    expect(span.attributes['llm_gateway.outcome']).toBe('client_aborted');
    expect(span.attributes['http.response.status_code']).toBe(499);
  });
});

describe('gen_ai_operation_name on /v1/completions', () => {
  it('is text_completion in the metrics, as on the spans (the conventions\' value)', async () => {
    const gw = await start({ providers: { mock: mockProvider(primary) }, plugins: [metrics(), tracing({ endpoint: receiver.url })] });
    const res = await fetch(`${gw.baseURL}/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'completions-op-1' },
      body: JSON.stringify({ model: 'mock/mock-small', prompt: 'Say hi' }),
    });
    expect(res.status).toBe(200);
    const spans = await receiver.waitFor((s) => s.some((x) => x.kind === 'SERVER' && x.attributes['llm_gateway.request_id'] === 'completions-op-1'));
    const server = spans.find((x) => x.kind === 'SERVER' && x.attributes['llm_gateway.request_id'] === 'completions-op-1')!;
    expect(server.attributes['gen_ai.operation.name']).toBe('text_completion');
    const durations = series(await scrape(gw), 'gen_ai_server_request_duration_seconds_count').filter((s) => s.labels.front_end === 'completions');
    expect(durations.map((s) => s.labels.gen_ai_operation_name)).toEqual(['text_completion']);
  });
});

describe('a fallback past an open circuit', () => {
  it('is counted in llm_gateway_fallbacks_total, as the access log, the trace and x-gateway-fallback say it fell back', async () => {
    const gw = await start(
      {
        providers: { primary: mockProvider(primary), secondary: mockProvider(secondary) },
        models: { stack: { targets: ['primary/mock-small', 'secondary/mock-large'] } },
        plugins: [retry({ attempts: 1, backoff: { initialMs: 0, jitter: 'none' } }), circuitBreaker({ failureThreshold: 1, cooldownMs: 60_000 }), metrics(), accessLog()],
      },
      { logger },
    );
    const client = new OpenAI({ baseURL: gw.baseURL, apiKey: 'unused', maxRetries: 0 });
    // The first request opens primary's circuit (one failure), and falls back.
    primary.enqueue({ status: 500, body: { error: { message: 'down' } } });
    await client.chat.completions.create({ model: 'stack', messages: [{ role: 'user', content: 'one' }] });
    // The second: primary's circuit is open, so it goes to secondary.
    const { response } = await client.chat.completions.create({ model: 'stack', messages: [{ role: 'user', content: 'two' }] }, { headers: { 'x-request-id': 'circuit-fallback-2' } }).withResponse();
    expect(response.headers.get('x-gateway-fallback')).toBe('true');
    await vi.waitFor(() => expect(lines.some((l) => l.requestId === 'circuit-fallback-2')).toBe(true));
    expect(lines.find((l) => l.requestId === 'circuit-fallback-2')!.fallback).toBe(true);

    const fallbacks = series(await scrape(gw), 'llm_gateway_fallbacks_total');
    // Two requests fell back to secondary: both should be counted.
    expect(sum(fallbacks.filter((s) => s.labels.provider === 'secondary'))).toBe(2);
  });
});

describe('time to first token of a stream the client left after its first chunk', () => {
  it('is observed: the first chunk was sent, whatever came after', async () => {
    const { wordChunks } = await import('../support/mock-upstream.js');
    const gw = await start({ providers: { mock: mockProvider(primary) }, plugins: [metrics()] });
    primary.enqueue({ stream: { chunks: wordChunks('one two three four five six seven eight nine ten'), chunkDelayMs: 100 } });
    const controller = new AbortController();
    const res = await fetch(`${gw.baseURL}/chat/completions`, {
      method: 'POST',
      signal: controller.signal,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'mock/mock-small', stream: true, messages: [{ role: 'user', content: 'count' }] }),
    });
    await res.body!.getReader().read();
    controller.abort();
    await primary.nextClientAbort();
    await new Promise((resolve) => setTimeout(resolve, 200));
    const text = await scrape(gw);
    expect(series(text, 'llm_gateway_requests_total')).toEqual([expect.objectContaining({ labels: expect.objectContaining({ outcome: 'client_aborted', status_class: '2xx' }), value: 1 })]);
    // The access log and usage log keep this request's ttftMs; the histogram drops it.
    expect(sum(series(text, 'gen_ai_server_time_to_first_token_seconds_count'))).toBe(1);
  });
});
