/**
 * A streamed answer whose chunks carry long lists, kept by the cache. An upstream decides how many
 * log probabilities a chunk carries, and how many chunks carry thinking blocks. Before its fix, the
 * cache assembled the answer by spreading each chunk's list into `push(...)` (a chunk of 200,000
 * log probabilities overflowed the stack: the stream failed for the client, whose answer was
 * otherwise fine) and by copying every thinking block so far for each chunk that carried one
 * (quadratic in the chunks). Now each item is appended in place: the client gets the whole stream
 * and the next ask is a hit with every log probability. Real sockets (raw HTTP: the
 * `openai` client takes seconds to parse one 8 MB event), the mock upstream.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cache } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { chunk, mockProvider, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let gw: RunningGateway;

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({ store: 'memory', providers: { mock: mockProvider(upstream) }, plugins: [cache({ maxBytes: 64 * 1024 * 1024 })] });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

describe('the cache keeping a stream whose chunks carry long lists', () => {
  it('assembles 150,000 log probabilities of one chunk without overflowing the stack', async () => {
    const tokens = 150_000;
    const logprobs = { content: Array.from({ length: tokens }, () => ({ token: 'a', logprob: 0, bytes: null, top_logprobs: [] })), refusal: null };
    const first = chunk({ role: 'assistant', content: 'a' });
    (first.choices as Array<Record<string, unknown>>)[0]!.logprobs = logprobs;
    upstream.enqueue({ stream: { chunks: [first, chunk({}, 'stop')] } });
    // Raw HTTP: the openai client takes seconds to parse an 8 MB event, which is not what is tested here.
    const ask = async () => {
      const res = await fetch(`${gw.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'long lists' }], logprobs: true, stream: true }) });
      expect(res.status).toBe(200);
      const events = (await res.text()).split('\n\n').filter((event) => event.startsWith('data: {'));
      const logprobs = events.map((event) => (JSON.parse(event.slice('data: '.length)) as { choices: Array<{ logprobs?: { content?: unknown[] } | null }> }).choices[0]?.logprobs?.content?.length ?? 0);
      return { cache: res.headers.get('x-gateway-cache'), logprobs: logprobs.reduce((a, b) => a + b, 0), finished: events.some((event) => event.includes('"finish_reason":"stop"')) };
    };

    expect(await ask()).toEqual({ cache: 'miss', logprobs: tokens, finished: true });
    await new Promise((resolve) => setTimeout(resolve, 200)); // kept once the stream ended
    expect(await ask()).toEqual({ cache: 'hit', logprobs: tokens, finished: true });
  }, 30_000);
});
