/**
 * A front-end's streamed answer goes out with the content type its API uses: server-sent events by
 * default, or what the front-end names (Ollama streams newline-delimited JSON), over a real socket
 * through the whole pipeline.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { definePlugin, defineFrontEnd, type ChatCompletionChunk } from '../../../sdk/plugin.js';
import { startGateway, type RunningGateway } from '../../support/gateway.js';
import { mockProvider, startMockUpstream, type MockUpstream } from '../../support/mock-upstream.js';

async function* lines(chunks: AsyncIterable<ChatCompletionChunk>): AsyncGenerator<string> {
  for await (const chunk of chunks) {
    const content = chunk.choices[0]?.delta.content;
    if (content) yield `${JSON.stringify({ content })}\n`;
  }
}

const ndjsonApi = defineFrontEnd({
  endpoint: 'test.ndjson',
  paths: ['/test/ndjson'],
  parse: (body) => ({ operation: 'chat', request: { model: String(body.model), messages: [{ role: 'user', content: String(body.prompt) }], stream: true } }),
  renderJson: (_ctx, answer) => answer,
  renderStream: (_ctx, chunks) => lines(chunks),
  streamContentType: 'application/x-ndjson',
});

const sseApi = defineFrontEnd({
  ...ndjsonApi,
  endpoint: 'test.sse',
  paths: ['/test/sse'],
  streamContentType: undefined,
});

const testApis = definePlugin({
  name: 'test-stream-apis',
  setup(host) {
    host.frontEnd(ndjsonApi);
    host.frontEnd(sseApi);
  },
});

let upstream: MockUpstream;
let gw: RunningGateway;

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({ providers: { mock: mockProvider(upstream) }, plugins: [testApis()] });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

const post = (path: string) => fetch(`${gw.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'mock/mock-small', prompt: 'one two' }) });

describe('streamContentType', () => {
  it('sends the stream with the content type the front-end names', async () => {
    const response = await post('/test/ndjson');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/x-ndjson');
    const body = await response.text();
    expect(body.trim().split('\n').map((line) => (JSON.parse(line) as { content: string }).content).join('')).toBe('echo: one two');
  });

  it('sends server-sent events when the front-end names none', async () => {
    const response = await post('/test/sse');
    expect(response.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(await response.text()).toContain('{"content":"echo: "}');
  });
});
