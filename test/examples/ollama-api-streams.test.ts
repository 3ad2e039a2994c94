/**
 * The Ollama API example (examples/plugin-ollama-api) on two stream shapes the gateway's own
 * writers were mended for the same day, which a review of that day's diff found it missed: Azure's
 * content-filter annotations (a choice without a delta) threw in `ndjsonAnswer`, and parallel calls
 * without `index` (Gemini) were merged into one, keyed by index. It now numbers calls with the
 * SDK's StreamedToolCalls, as the cache and the Responses writer do.
 */
import ollamaApi from 'llm-gateway-plugin-ollama-api';
import { chunk, mockProvider, startGateway, startMockUpstream, type MockUpstream, type RunningGateway } from 'llm-gateway/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';

let upstream: MockUpstream;
let gw: RunningGateway;

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({ providers: { mock: mockProvider(upstream, { models: ['mock-small'] }) }, plugins: [ollamaApi()] });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});
beforeEach(() => upstream.reset());

const chat = async () => {
  const res = await fetch(`${gw.url}/api/chat`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'x' }] }) });
  return (await res.text()).trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
};

describe('review: Ollama API example streams (missed call sites)', () => {
  it('streams an answer through an Azure content-filter annotation (a choice without delta)', async () => {
    upstream.enqueue({
      stream: {
        chunks: [
          chunk({ role: 'assistant', content: 'hello' }),
          // Azure's asynchronous filter: a choice with filter results and no delta.
          { id: 'c', object: 'chat.completion.chunk', created: 1, model: 'mock-small', choices: [{ index: 0, finish_reason: null, content_filter_results: { hate: { filtered: false, severity: 'safe' } } }] },
          chunk({ content: ' world' }, 'stop'),
        ],
      },
    });
    const lines = await chat();
    expect(lines.some((line) => 'error' in line)).toBe(false);
    expect(lines.map((line) => (line.message as { content?: string } | undefined)?.content ?? '').join('')).toBe('hello world');
  });

  it('keeps apart two parallel calls that come without index (Gemini) as whole calls with their own ids', async () => {
    upstream.enqueue({
      stream: {
        chunks: [
          chunk({ role: 'assistant', tool_calls: [{ id: 'call_a', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] }),
          chunk({ tool_calls: [{ id: 'call_b', type: 'function', function: { name: 'get_time', arguments: '{"city":"Rome"}' } }] }),
          chunk({}, 'tool_calls'),
        ],
      },
    });
    const lines = await chat();
    const calls = lines.flatMap((line) => ((line.message as { tool_calls?: Array<{ function: { name: string; arguments: unknown } }> } | undefined)?.tool_calls ?? []));
    expect(calls.map((call) => call.function.name)).toEqual(['get_weather', 'get_time']);
  });
});
