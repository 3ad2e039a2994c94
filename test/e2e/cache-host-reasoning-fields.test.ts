/**
 * The cache replaying a thinking model's answer from an OpenAI-format host that writes `reasoning`
 * and `reasoning_details` (OpenRouter: https://openrouter.ai/docs/use-cases/reasoning-tokens), to an
 * OpenAI client: a hit is the answer again (docs/cache.md), the host's own fields included.
 *
 * Before its fix (a88efd8 wrote `reasoning_content` into the host's parsed objects, which the cache
 * stores): a hit carried a `reasoning_content` the host never wrote; a streamed miss served as JSON
 * (plugins/cache/entry.ts `assemble`) and a whole miss served as a stream (`chunksOf`) kept only
 * `reasoning_content`, so `reasoning` and `reasoning_details` were gone. Now nothing is written into
 * the host's objects (readers use `reasoningTextOf`, core/protocol/reasoning-text.ts) and the cache
 * keeps each field under the host's name.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cache } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { chunk, completion, mockProvider, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let gw: RunningGateway;
beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({ providers: { host: mockProvider(upstream) }, plugins: [cache()] });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});
beforeEach(() => upstream.reset());

const THOUGHT = 'The user greets me; I greet back.';
const DETAILS = [{ type: 'reasoning.text', text: THOUGHT, format: 'anthropic-claude-v1', signature: 'SIG', index: 0 }];
let unique = 0;

async function ask(question: string, stream: boolean): Promise<{ cache: string | null; messages: Array<Record<string, unknown>> }> {
  const response = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: 'Bearer k' },
    body: JSON.stringify({ model: 'host/some-thinker', messages: [{ role: 'user', content: question }], stream }),
  });
  const text = await response.text();
  const cacheState = response.headers.get('x-gateway-cache');
  if (!stream) return { cache: cacheState, messages: [(JSON.parse(text) as { choices: Array<{ message: Record<string, unknown> }> }).choices[0]!.message] };
  const deltas = text
    .split('\n')
    .filter((line) => line.startsWith('data: {'))
    .map((line) => (JSON.parse(line.slice(6)) as { choices: Array<{ delta?: Record<string, unknown> }> }).choices[0]?.delta ?? {});
  return { cache: cacheState, messages: deltas };
}

const streamed = () => ({
  stream: {
    chunks: [chunk({ role: 'assistant', content: '', reasoning: THOUGHT, reasoning_details: DETAILS }), chunk({ content: 'Hello!', reasoning: null }), chunk({}, 'stop')],
  },
});
const whole = () => {
  const body = completion({ content: 'Hello!' }) as { choices: Array<{ message: Record<string, unknown> }> };
  body.choices[0]!.message.reasoning = THOUGHT;
  body.choices[0]!.message.reasoning_details = DETAILS;
  return { body };
};

describe("a cache hit gives an OpenAI client the host's own reasoning fields", () => {
  it('streamed miss, streamed hit: the same deltas, no reasoning_content added', async () => {
    const q = `hi ${++unique}`;
    upstream.enqueue(streamed());
    const miss = await ask(q, true);
    const hit = await ask(q, true);
    expect([miss.cache, hit.cache]).toEqual(['miss', 'hit']);
    expect(hit.messages).toEqual(miss.messages);
  });

  it('whole miss, whole hit: the same message, no reasoning_content added', async () => {
    const q = `hi ${++unique}`;
    upstream.enqueue(whole());
    const miss = await ask(q, false);
    const hit = await ask(q, false);
    expect([miss.cache, hit.cache]).toEqual(['miss', 'hit']);
    expect(hit.messages[0]).toEqual(miss.messages[0]);
  });

  it('streamed miss, JSON hit: the message keeps `reasoning` and `reasoning_details`', async () => {
    const q = `hi ${++unique}`;
    upstream.enqueue(streamed());
    await ask(q, true);
    const hit = await ask(q, false);
    expect(hit.cache).toBe('hit');
    expect(hit.messages[0]?.reasoning).toBe(THOUGHT);
    expect(hit.messages[0]?.reasoning_details).toEqual(DETAILS);
  });

  it('whole miss, streamed hit: the deltas keep `reasoning` and `reasoning_details`', async () => {
    const q = `hi ${++unique}`;
    upstream.enqueue(whole());
    await ask(q, false);
    const hit = await ask(q, true);
    expect(hit.cache).toBe('hit');
    expect(hit.messages.map((d) => d.reasoning).filter((r) => typeof r === 'string').join('')).toBe(THOUGHT);
    expect(hit.messages.flatMap((d) => (Array.isArray(d.reasoning_details) ? d.reasoning_details : []))).toEqual(DETAILS);
  });
});
