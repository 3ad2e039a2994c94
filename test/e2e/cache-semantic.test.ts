/**
 * The semantic cache through real sockets: a mock embeddings upstream gives paraphrases vectors at
 * chosen cosine similarities, so a paraphrase above the threshold is a `semantic-hit` without the
 * chat upstream, one just below is a miss, and nothing crosses system prompts, models, keys or
 * longer conversations. A failing or slow embeddings upstream only costs the lookup.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { auth, cache, type CacheStats } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { at, startMockEmbeddings, type MockEmbeddings } from '../support/mock-embeddings.js';
import { mockProvider, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

const ADMIN = 'semantic-admin-key-0123456789';
let upstream: MockUpstream;
let embeddings: MockEmbeddings;
let gw: RunningGateway;
let secrets: string[];

beforeAll(async () => {
  upstream = await startMockUpstream();
  embeddings = await startMockEmbeddings();
  gw = await startGateway({
    providers: { mock: mockProvider(upstream), vec: { type: 'openai-compatible', baseURL: embeddings.baseURL, listModels: false } },
    plugins: [auth({ adminKey: ADMIN }), cache({ semantic: { model: 'vec/embed-small', threshold: 0.95, timeoutMs: 200 } })],
  });
  secrets = [];
  for (const name of ['a', 'b']) {
    const res = await fetch(`${gw.url}/admin/keys`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ name }) });
    secrets.push(((await res.json()) as { secret: string }).secret);
  }
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
  await embeddings?.close();
});
beforeEach(async () => {
  upstream.reset();
  embeddings.mode = 'ok';
  embeddings.vectors.clear();
  await fetch(`${gw.url}/v1/cache`, { method: 'DELETE', headers: { authorization: `Bearer ${ADMIN}` } });
});

let axis = 0;
/** Texts at given similarities from a base text, on an axis no other test uses. */
function texts(similarities: Record<string, number>): void {
  const turn = 1 + (++axis % 7);
  for (const [text, similarity] of Object.entries(similarities)) embeddings.vectors.set(text, rotate(at(similarity), turn));
}
/** Moves the second component to another axis, so each test's vectors live in their own plane. */
function rotate(vector: number[], axisIndex: number): number[] {
  const out = new Array<number>(vector.length).fill(0);
  out[0] = vector[0]!;
  out[axisIndex] = vector[1]!;
  return out;
}

const chatCalls = () => upstream.requests.filter((r) => r.path.endsWith('/chat/completions')).length;
async function ask(content: string, options: { key?: number; system?: string; model?: string; history?: boolean; gateway?: Record<string, unknown> } = {}) {
  const messages: Array<Record<string, unknown>> = [];
  if (options.system) messages.push({ role: 'system', content: options.system });
  if (options.history) messages.push({ role: 'user', content: 'earlier' }, { role: 'assistant', content: 'sure' });
  messages.push({ role: 'user', content });
  const client = new OpenAI({ baseURL: gw.baseURL, apiKey: secrets[options.key ?? 0]!, maxRetries: 0 });
  const { data, response } = await client.chat.completions
    .create({ model: options.model ?? 'mock/mock-small', messages, ...(options.gateway ? { gateway: options.gateway } : {}) } as unknown as OpenAI.ChatCompletionCreateParamsNonStreaming)
    .withResponse();
  return { text: data.choices[0]?.message.content, cache: response.headers.get('x-gateway-cache'), similarity: response.headers.get('x-gateway-cache-similarity') };
}

describe('semantic cache', () => {
  it('answers a paraphrase above the threshold from the cache, without the chat upstream', async () => {
    texts({ 'What is the capital of France?': 1, "What's France's capital city?": 0.97, 'How do I bake bread?': 0.1 });
    const first = await ask('What is the capital of France?');
    expect(first.cache).toBe('miss');
    const paraphrase = await ask("What's France's capital city?");
    expect(paraphrase).toMatchObject({ cache: 'semantic-hit', text: first.text, similarity: '0.9700' });
    expect((await ask('How do I bake bread?')).cache).toBe('miss');
    expect(chatCalls()).toBe(2);
  });

  it('draws the line at the threshold', async () => {
    texts({ base: 1, above: 0.951, below: 0.949 });
    await ask('base');
    expect((await ask('below')).cache).toBe('miss');
    expect((await ask('above')).cache).toBe('semantic-hit');
  });

  it('lets a client ask for a stricter threshold, never a looser one', async () => {
    texts({ strict: 1, near: 0.97, loose: 0.9 });
    await ask('strict');
    expect((await ask('loose', { gateway: { cache: { threshold: 0.5 } } })).cache).toBe('miss');
    expect((await ask('near', { gateway: { cache: { threshold: 0.99 } } })).cache).toBe('miss');
    expect((await ask('near')).cache).toBe('hit');
  });

  it('never crosses system prompts, models, keys or longer conversations', async () => {
    texts({ question: 1, 'same question': 0.99 });
    await ask('question', { system: 'You are terse.' });
    expect((await ask('same question', { system: 'You are verbose.' })).cache).toBe('miss');
    expect((await ask('same question', { system: 'You are terse.', model: 'mock/mock-large' })).cache).toBe('miss');
    expect((await ask('same question', { system: 'You are terse.', key: 1 })).cache).toBe('miss');
    expect((await ask('same question', { system: 'You are terse.', history: true })).cache).toBe('miss');
    expect((await ask('same question', { system: 'You are terse.' })).cache).toBe('semantic-hit');
  });

  it('goes on without the cache when the embeddings upstream fails or is slow, and counts it', async () => {
    const stats = async () => (await (await fetch(`${gw.url}/admin/cache/stats`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as CacheStats;
    const before = (await stats()).failures.embeddings;
    embeddings.mode = 'fail';
    expect((await ask('embeddings down')).cache).toBe('miss');
    embeddings.mode = 'slow';
    embeddings.delayMs = 2000;
    const started = Date.now();
    expect((await ask('embeddings slow')).cache).toBe('miss');
    expect(Date.now() - started).toBeLessThan(1500);
    await expect.poll(async () => (await stats()).failures.embeddings - before).toBeGreaterThanOrEqual(2);
    // The exact cache still works meanwhile.
    expect((await ask('embeddings down')).cache).toBe('hit');
  });

  it('counts semantic hits in the stats', async () => {
    texts({ counted: 1, 'counted too': 0.99 });
    const before = (await (await fetch(`${gw.baseURL}/cache/stats`, { headers: { authorization: `Bearer ${secrets[0]}` } })).json()) as CacheStats;
    await ask('counted');
    await ask('counted too');
    const after = (await (await fetch(`${gw.baseURL}/cache/stats`, { headers: { authorization: `Bearer ${secrets[0]}` } })).json()) as CacheStats;
    expect(after.semanticHits - before.semanticHits).toBe(1);
    expect(after.misses - before.misses).toBe(1);
  });
});
