/**
 * How long entries live: the TTL and the LRU cap (with a faked clock, real sockets), and a restart
 * on SQLite, after which exact entries and the semantic index are back.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { cache, type CacheStats, type GatewayConfig } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { at, startMockEmbeddings, type MockEmbeddings } from '../support/mock-embeddings.js';
import { mockProvider, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let embeddings: MockEmbeddings;
beforeAll(async () => {
  upstream = await startMockUpstream();
  embeddings = await startMockEmbeddings();
});
afterAll(async () => {
  await upstream?.close();
  await embeddings?.close();
});
afterEach(() => {
  vi.useRealTimers();
});

const ask = async (gw: RunningGateway, content: string) => {
  const { response } = await new OpenAI({ baseURL: gw.baseURL, apiKey: 'open', maxRetries: 0 }).chat.completions
    .create({ model: 'mock/mock-small', messages: [{ role: 'user', content }] })
    .withResponse();
  return response.headers.get('x-gateway-cache');
};
const stats = async (gw: RunningGateway) => (await (await fetch(`${gw.baseURL}/cache/stats`)).json()) as CacheStats;

describe('TTL and eviction', () => {
  let gw: RunningGateway;
  afterEach(async () => gw?.close());

  it('forgets an entry once its TTL has passed', async () => {
    // Only the clock is faked: sockets and the gateway's timers run for real.
    vi.useFakeTimers({ toFake: ['Date'] });
    gw = await startGateway({ providers: { mock: mockProvider(upstream) }, plugins: [cache({ ttlSeconds: 60 })] });
    await ask(gw, 'ttl');
    vi.setSystemTime(Date.now() + 59_000);
    expect(await ask(gw, 'ttl')).toBe('hit');
    vi.setSystemTime(Date.now() + 2_000);
    expect(await ask(gw, 'ttl')).toBe('miss');
  });

  it('evicts the least recently used entry beyond maxEntries', async () => {
    gw = await startGateway({ providers: { mock: mockProvider(upstream) }, plugins: [cache({ maxEntries: 2 })] });
    await ask(gw, 'one');
    await ask(gw, 'two');
    expect(await ask(gw, 'one')).toBe('hit'); // "two" is now the least recently used
    await ask(gw, 'three');
    expect((await stats(gw)).entries).toBe(2);
    expect(await ask(gw, 'one')).toBe('hit');
    expect(await ask(gw, 'three')).toBe('hit');
    expect(await ask(gw, 'two')).toBe('miss');
  });
});

describe('narrowing what is cached', () => {
  it('caches only deterministic requests to the listed models when told so', async () => {
    const gw = await startGateway({ providers: { mock: mockProvider(upstream) }, plugins: [cache({ only: { deterministic: true, models: ['mock/mock-small'] } })] });
    try {
      const client = new OpenAI({ baseURL: gw.baseURL, apiKey: 'open', maxRetries: 0 });
      const outcome = async (model: string, temperature?: number) =>
        (await client.chat.completions.create({ model, messages: [{ role: 'user', content: 'narrow' }], ...(temperature !== undefined ? { temperature } : {}) }).withResponse()).response.headers.get('x-gateway-cache');
      expect(await outcome('mock/mock-small')).toBe('skip');
      expect(await outcome('mock/mock-small', 0.7)).toBe('skip');
      expect(await outcome('mock/mock-small', 0)).toBe('miss');
      expect(await outcome('mock/mock-small', 0)).toBe('hit');
      expect(await outcome('mock/mock-large', 0)).toBe('skip');
    } finally {
      await gw.close();
    }
  });
});

describe('restart on SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gw-cache-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps exact entries and rebuilds the semantic index from the store', async () => {
    embeddings.vectors.set('Where is Rome?', at(1));
    embeddings.vectors.set('Rome is where?', at(0.98));
    const config: GatewayConfig = {
      store: `sqlite://${join(dir, 'gateway.sqlite')}`,
      providers: { mock: mockProvider(upstream), vec: { type: 'openai-compatible', baseURL: embeddings.baseURL, listModels: false } },
      plugins: [cache({ semantic: { model: 'vec/embed' } })],
    };
    const first = await startGateway(config);
    expect(await ask(first, 'Where is Rome?')).toBe('miss');
    await first.close();

    const second = await startGateway(config);
    try {
      expect(await ask(second, 'Where is Rome?')).toBe('hit');
      await expect.poll(async () => (await stats(second)).entries, { timeout: 5000 }).toBe(1);
      expect(await ask(second, 'Rome is where?')).toBe('semantic-hit');
    } finally {
      await second.close();
    }
  });
});
