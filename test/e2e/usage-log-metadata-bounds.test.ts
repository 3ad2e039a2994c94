/**
 * A request's `metadata` goes into its usage record bounded as OpenAI bounds it: at most 16 pairs,
 * keys up to 64 characters, values up to 512; what fits is kept and the rest left out, so a record's
 * metadata stays within a few KB whatever the client sends. Before its fix, metadata went into the
 * record whole: request and response bodies are off by default and capped at `bodies.maxBytes`
 * (16 KB) when on, but metadata had no cap, so every request could put megabytes into the
 * write-behind queue (100,000 records) and the log's table, even when the upstream refuses it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usageLogger } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { mockProvider, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { usageRecordOf } from '../support/usage-records.js';

describe('usage log: a request\'s metadata is bounded', () => {
  let upstream: MockUpstream;
  let gw: RunningGateway;
  beforeAll(async () => {
    upstream = await startMockUpstream();
    gw = await startGateway({ usageLog: 'sqlite::memory:', providers: { mock: mockProvider(upstream) }, plugins: [usageLogger()] });
  });
  afterAll(async () => {
    await gw?.close();
    await upstream?.close();
  });

  it('keeps at most a bounded amount of a request\'s metadata (or refuses it)', async () => {
    const metadata = Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`k${i}`, 'x'.repeat(20_000)])); // 4 MB
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'hi' }], metadata }),
    });
    await res.arrayBuffer();
    const record = await usageRecordOf(gw, res.headers.get('x-request-id')!);
    const kept = JSON.stringify(record.metadata ?? null).length;
    // Bodies are capped at 16 KB by default; metadata should be bounded at least as tightly.
    expect(kept).toBeLessThanOrEqual(16_384);
  });

  it('keeps the pairs that fit, up to 16, and leaves out the rest', async () => {
    const metadata: Record<string, string> = { team: 'research', long: 'x'.repeat(513), [`k${'y'.repeat(64)}`]: 'v' };
    for (let i = 0; i < 20; i++) metadata[`p${i}`] = 'z'.repeat(512);
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'hi' }], metadata }),
    });
    await res.arrayBuffer();
    const record = await usageRecordOf(gw, res.headers.get('x-request-id')!);
    expect(Object.keys(record.metadata ?? {})).toEqual(['team', ...Array.from({ length: 15 }, (_, i) => `p${i}`)]);
    expect(record.metadata?.p0).toBe('z'.repeat(512));
  });
});
