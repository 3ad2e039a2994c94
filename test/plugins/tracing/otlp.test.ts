/**
 * gateway:tracing through real sockets: the OpenTelemetry SDK exports to an OTLP/HTTP receiver in
 * this test; the spans carry the GenAI attributes, continue the client's `traceparent`, and a
 * request that falls back once is one SERVER span over two CLIENT spans, each of whose contexts
 * reached its upstream as `traceparent`.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { retry, tracing } from '../../../index.js';
import { startGateway, type RunningGateway } from '../../support/gateway.js';
import { mockProvider, startMockUpstream, type MockUpstream } from '../../support/mock-upstream.js';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '../../support/otlp-receiver.js';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE_ID}-${CLIENT_SPAN}-01`;
const ENV = ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_SERVICE_NAME', 'OTEL_RESOURCE_ATTRIBUTES', 'OTEL_BSP_SCHEDULE_DELAY'] as const;

let receiver: OtlpReceiver;
let primary: MockUpstream;
let secondary: MockUpstream;
let gw: RunningGateway;
let client: OpenAI;
const saved: Partial<Record<(typeof ENV)[number], string>> = {};

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  primary = await startMockUpstream();
  secondary = await startMockUpstream();
  for (const name of ENV) saved[name] = process.env[name];
  // What an operator sets: the standard variables, nothing in the config.
  process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url;
  process.env.OTEL_SERVICE_NAME = 'gateway-under-test';
  process.env.OTEL_RESOURCE_ATTRIBUTES = 'deployment.environment.name=test';
  process.env.OTEL_BSP_SCHEDULE_DELAY = '50';
  gw = await startGateway({
    providers: { primary: mockProvider(primary), secondary: mockProvider(secondary) },
    models: { stack: { targets: ['primary/mock-small', 'secondary/mock-large'] } },
    plugins: [retry({ attempts: 1 }), tracing()],
  });
  client = new OpenAI({ baseURL: gw.baseURL, apiKey: 'unused', maxRetries: 0 });
});

afterAll(async () => {
  await gw?.close();
  for (const name of ENV) if (saved[name] === undefined) delete process.env[name];
  else process.env[name] = saved[name];
  await primary?.close();
  await secondary?.close();
  await receiver?.close();
});

beforeEach(() => {
  primary.reset();
  secondary.reset();
});

const inTrace = (spans: ReceivedSpan[], requestId: string) => {
  const server = spans.find((s) => s.kind === 'SERVER' && s.attributes['llm_gateway.request_id'] === requestId);
  return { server, tries: server ? spans.filter((s) => s.kind === 'CLIENT' && s.parentSpanId === server.spanId).sort((a, b) => Number(a.attributes['llm_gateway.attempt']) - Number(b.attributes['llm_gateway.attempt'])) : [] };
};

describe('a request that falls back once', () => {
  it('is one SERVER span, child of the client\'s traceparent, over two CLIENT spans whose contexts went upstream', async () => {
    primary.enqueue({ status: 500, body: { error: { message: 'primary is down' } } });
    const { data, response } = await client.chat.completions
      .create({ model: 'stack', max_tokens: 50, messages: [{ role: 'user', content: 'fall back please' }] }, { headers: { traceparent: TRACEPARENT, 'x-request-id': 'trace-fallback' } })
      .withResponse();
    expect(response.headers.get('x-gateway-provider')).toBe('secondary');

    await receiver.waitFor((spans) => inTrace(spans, 'trace-fallback').tries.length === 2 && inTrace(spans, 'trace-fallback').server !== undefined);
    const { server, tries } = inTrace(receiver.spans, 'trace-fallback');
    expect(server).toMatchObject({
      traceId: TRACE_ID,
      parentSpanId: CLIENT_SPAN,
      name: 'POST /v1/chat/completions',
      status: { code: 'UNSET' },
      attributes: {
        'http.request.method': 'POST',
        'http.response.status_code': 200,
        'gen_ai.operation.name': 'chat',
        'gen_ai.request.model': 'stack',
        'gen_ai.response.model': 'mock-large',
        'gen_ai.provider.name': 'secondary',
        'gen_ai.request.max_tokens': 50,
        'llm_gateway.attempts': 2,
        'llm_gateway.outcome': 'ok',
        'llm_gateway.virtual_model': 'stack',
      },
      resource: { 'service.name': 'gateway-under-test', 'deployment.environment.name': 'test' },
    });
    expect(server!.attributes['gen_ai.usage.input_tokens']).toBeGreaterThan(0);

    const [failed, answered] = tries;
    expect(failed).toMatchObject({
      traceId: TRACE_ID,
      name: 'chat mock-small',
      status: { code: 'ERROR' },
      attributes: { 'gen_ai.operation.name': 'chat', 'gen_ai.provider.name': 'primary', 'gen_ai.request.model': 'mock-small', 'llm_gateway.attempt': 1, 'llm_gateway.fallback': false, 'http.response.status_code': 500 },
    });
    expect(failed!.attributes['error.type']).toEqual(expect.any(String));
    expect(answered).toMatchObject({
      traceId: TRACE_ID,
      name: 'chat mock-large',
      status: { code: 'UNSET' },
      attributes: { 'gen_ai.provider.name': 'secondary', 'gen_ai.request.model': 'mock-large', 'gen_ai.response.model': data.model, 'gen_ai.response.id': data.id, 'gen_ai.response.finish_reasons': ['stop'], 'llm_gateway.attempt': 2, 'llm_gateway.fallback': true },
    });
    expect(answered!.attributes['gen_ai.usage.output_tokens']).toBe(data.usage?.completion_tokens);
    expect(answered!.attributes['error.type']).toBeUndefined();
    // The tries sit inside the request, in order.
    expect(failed!.startMs).toBeGreaterThanOrEqual(server!.startMs);
    expect(answered!.startMs).toBeGreaterThanOrEqual(failed!.endMs);
    expect(answered!.endMs).toBeLessThanOrEqual(server!.endMs);

    // Each upstream got its own try's context, in the client's trace.
    expect(primary.requests[0]!.headers.traceparent).toBe(`00-${TRACE_ID}-${failed!.spanId}-01`);
    expect(secondary.requests[0]!.headers.traceparent).toBe(`00-${TRACE_ID}-${answered!.spanId}-01`);
  });
});

describe('streams and new traces', () => {
  it('notes a stream\'s response id, model and finish reason on its CLIENT span', async () => {
    const stream = await client.chat.completions.create(
      { model: 'primary/mock-small', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'count some words' }] },
      { headers: { 'x-request-id': 'trace-stream' } },
    );
    let id = '';
    for await (const chunk of stream) id ||= chunk.id;
    await receiver.waitFor((spans) => inTrace(spans, 'trace-stream').tries.length === 1);
    const { server, tries } = inTrace(receiver.spans, 'trace-stream');
    // No traceparent from the client: a new trace, with no parent.
    expect(server!.parentSpanId).toBeUndefined();
    expect(server!.traceId).not.toBe(TRACE_ID);
    expect(server!.attributes['llm_gateway.stream']).toBe(true);
    expect(tries[0]).toMatchObject({ name: 'chat mock-small', attributes: { 'gen_ai.response.id': id, 'gen_ai.response.finish_reasons': ['stop'], 'llm_gateway.fallback': false } });
    expect(tries[0]!.attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
    expect(primary.requests[0]!.headers.traceparent).toBe(`00-${server!.traceId}-${tries[0]!.spanId}-01`);
    // Content is not recorded unless asked for.
    expect(server!.attributes['gen_ai.input.messages']).toBeUndefined();
    expect(tries[0]!.attributes['gen_ai.output.messages']).toBeUndefined();
  });

  it('marks a request the gateway could not serve as an error', async () => {
    primary.enqueue({ status: 503, body: { error: { message: 'overloaded' } } });
    await expect(client.chat.completions.create({ model: 'primary/mock-small', messages: [{ role: 'user', content: 'x' }] }, { headers: { 'x-request-id': 'trace-error' } })).rejects.toThrow();
    await receiver.waitFor((spans) => inTrace(spans, 'trace-error').server !== undefined && inTrace(spans, 'trace-error').tries.length === 1);
    const { server, tries } = inTrace(receiver.spans, 'trace-error');
    expect(server).toMatchObject({ status: { code: 'ERROR' }, attributes: { 'http.response.status_code': 503, 'llm_gateway.outcome': 'error' } });
    expect(server!.attributes['error.type']).toEqual(expect.any(String));
    expect(tries[0]!.status.code).toBe('ERROR');
  });
});

describe('content capture and when tracing is off', () => {
  it('records prompts and completions, redacted, only when captureContent is on', async () => {
    const capturing = await startGateway({ providers: { primary: mockProvider(primary) }, plugins: [tracing({ endpoint: receiver.url, captureContent: true })] });
    try {
      const other = new OpenAI({ baseURL: capturing.baseURL, apiKey: 'unused', maxRetries: 0 });
      await other.chat.completions.create({ model: 'primary/mock-small', messages: [{ role: 'user', content: 'write to jane@example.com' }] }, { headers: { 'x-request-id': 'trace-content' } });
      await capturing.close();
      const { server, tries } = inTrace(receiver.spans, 'trace-content');
      expect(JSON.parse(server!.attributes['gen_ai.input.messages'] as string)).toEqual([{ role: 'user', parts: [{ type: 'text', content: 'write to [REDACTED:email]' }] }]);
      expect(JSON.parse(tries[0]!.attributes['gen_ai.output.messages'] as string)).toEqual([
        { role: 'assistant', parts: [{ type: 'text', content: 'echo: write to [REDACTED:email]' }], finish_reason: 'stop' },
      ]);
    } finally {
      await capturing.close();
    }
  });

  it('loads nothing and sends no traceparent without an endpoint', async () => {
    delete process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
    const plain = await startGateway({ providers: { primary: mockProvider(primary) }, plugins: [tracing()] });
    process.env.OTEL_EXPORTER_OTLP_ENDPOINT = receiver.url;
    try {
      const plugin = plain.gateway.plugins.find((p) => p.name === 'gateway:tracing');
      expect(plugin).toBeDefined();
      expect(plugin!.upstream).toBeUndefined();
      await new OpenAI({ baseURL: plain.baseURL, apiKey: 'unused', maxRetries: 0 }).chat.completions.create(
        { model: 'primary/mock-small', messages: [{ role: 'user', content: 'hi' }] },
        { headers: { traceparent: TRACEPARENT } },
      );
      expect(primary.requests[0]!.headers.traceparent).toBeUndefined();
    } finally {
      await plain.close();
    }
  });
});

describe('the wall clock set forward during a request', () => {
  it('leaves the tries inside their request: every span is timed by one clock', async () => {
    // The first try waits 150 ms; 50 ms in, the wall clock jumps a second ahead (an NTP step). A
    // span timed from Date.now() when it is made would start the second try a second late, after
    // its request ended.
    primary.enqueue({ delayMs: 150, status: 500, body: { error: { message: 'primary is down' } } });
    const realNow = Date.now.bind(Date);
    const jump = setTimeout(() => vi.spyOn(Date, 'now').mockImplementation(() => realNow() + 1000), 50);
    try {
      await client.chat.completions.create({ model: 'stack', messages: [{ role: 'user', content: 'fall back please' }] }, { headers: { traceparent: TRACEPARENT, 'x-request-id': 'trace-clock-step' } });
    } finally {
      clearTimeout(jump);
      vi.restoreAllMocks();
    }
    await receiver.waitFor((spans) => inTrace(spans, 'trace-clock-step').tries.length === 2 && inTrace(spans, 'trace-clock-step').server !== undefined);
    const { server, tries } = inTrace(receiver.spans, 'trace-clock-step');
    const [failed, answered] = tries;
    expect(failed!.startMs).toBeGreaterThanOrEqual(server!.startMs);
    expect(answered!.startMs).toBeGreaterThanOrEqual(failed!.endMs);
    expect(answered!.endMs).toBeLessThanOrEqual(server!.endMs);
  });
});
