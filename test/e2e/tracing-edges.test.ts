/**
 * gateway:tracing (plugins/tracing/), spans exported over OTLP to a real receiver: content redacted
 * before it is cut, and a SERVER span for a request refused before the pipeline.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import ollamaApi from 'llm-gateway-plugin-ollama-api';
import { tracing } from '../../index.js';
import { startGateway } from '../support/gateway.js';
import { mockProvider, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { startOtlpReceiver, type OtlpReceiver } from '../support/otlp-receiver.js';

let receiver: OtlpReceiver;
let upstream: MockUpstream;
beforeAll(async () => {
  receiver = await startOtlpReceiver();
  upstream = await startMockUpstream();
});
afterAll(async () => {
  await upstream?.close();
  await receiver?.close();
});

const serverSpan = (requestId: string) => receiver.spans.find((s) => s.kind === 'SERVER' && s.attributes['llm_gateway.request_id'] === requestId);

describe('captured content', () => {
  it('redacts a secret that the maxContentLength cut runs through', async () => {
    // Promised (docs/observability.md, "Prompts and completions"): content is "redacted like the
    // usage log's bodies (keys, bearer tokens, emails, ...) and cut at `maxContentLength`".
    // plugins/tracing/start-tracing.ts `content` cuts first and redacts the cut text: a key or an
    // email that straddles the cut is too short to match the redaction patterns any more
    // (sk-… needs 16 characters after `sk-`, an email its domain's dot), so its first
    // characters are exported to the trace backend in clear. With the default 16,384 this hits
    // any long prompt (pasted config, logs) that has a secret where the cut falls.
    const key = 'sk-proj-Q7d9Xk2LmP4rT8vW1zY6bN3cF5hJ0sA';
    const prefix = 'my key is ';
    // The cut leaves `sk-` and 15 characters: `sk-proj-Q7d9Xk2L`, ten of them the key's secret part.
    const gw = await startGateway({ providers: { mock: mockProvider(upstream) }, plugins: [tracing({ endpoint: receiver.url, captureContent: true, maxContentLength: prefix.length + 3 + 15 })] });
    try {
      const client = new OpenAI({ baseURL: gw.baseURL, apiKey: 'unused', maxRetries: 0 });
      await client.chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: `${prefix}${key}, keep it safe` }] }, { headers: { 'x-request-id': 'review-cut-secret' } });
    } finally {
      await gw.close(); // flushes the spans
    }
    const input = serverSpan('review-cut-secret')!.attributes['gen_ai.input.messages'] as string;
    expect(input).toContain('my key is');
    expect(input).not.toContain(key.slice(0, 16));
  });
});

describe('requests refused at the edge', () => {
  it('has a SERVER span for a request refused with 400 before the pipeline', async () => {
    // Promised (docs/observability.md, "What a trace holds"): "One SERVER span per client request",
    // continuing the client's traceparent; "a 4xx is the client's" (not an error, but still a
    // span). plugins/tracing/start-tracing.ts starts the SERVER span on `request:start`, which
    // core/http/exchange.ts emits only after the body was read, parsed and validated: a request
    // refused with 400 (bad JSON, a missing field, too deep), 413, 408 or 401 leaves no span, so
    // the client's trace shows a call to the gateway that never arrived.
    const gw = await startGateway({ providers: { mock: mockProvider(upstream) }, plugins: [tracing({ endpoint: receiver.url })] });
    try {
      const refused = await fetch(`${gw.url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': 'review-400', traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' },
        body: JSON.stringify({ model: 'mock/mock-small' }),
      });
      expect(refused.status).toBe(400);
      // A request that does reach the pipeline, so the export is known to work.
      await new OpenAI({ baseURL: gw.baseURL, apiKey: 'unused', maxRetries: 0 }).chat.completions.create({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'hi' }] }, { headers: { 'x-request-id': 'review-200' } });
    } finally {
      await gw.close();
    }
    expect(serverSpan('review-200')).toBeDefined();
    expect(serverSpan('review-400')).toMatchObject({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', attributes: { 'http.response.status_code': 400 } });
  });

  it("has a SERVER span for a request refused on a plugin's front-end", async () => {
    // Only /v1/* paths counted as the API's: a client of the Ollama API example's /api/chat whose
    // request was refused before the pipeline got no span.
    const gw = await startGateway({ providers: { mock: mockProvider(upstream) }, plugins: [tracing({ endpoint: receiver.url }), ollamaApi()] });
    try {
      const refused = await fetch(`${gw.url}/api/chat`, { method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': 'review-ollama-400' }, body: '{"model": ' });
      expect(refused.status).toBe(400);
    } finally {
      await gw.close();
    }
    expect(serverSpan('review-ollama-400')).toMatchObject({ attributes: { 'http.response.status_code': 400, 'url.path': '/api/chat' } });
  });
});
