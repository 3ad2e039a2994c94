/**
 * docs/routing.md: "A model's `strategy` applies to it; `routing({ strategy })` sets the default for
 * models that do not name one." Before its fix the config gave every virtual model without one
 * `fallback` when it loaded (core/config/resolve-providers.ts), so the routing plugin's default
 * never applied to it: with `routing({ strategy: 'round-robin' })` every request went to the first
 * target (a docs review found it).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routing } from '../../../index.js';
import { startGateway } from '../../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../../support/mock-upstream.js';

let upstream: MockUpstream;
beforeAll(async () => {
  upstream = await startMockUpstream();
});
afterAll(async () => {
  await upstream?.close();
});

const servedBy = async (url: string, model: string, times: number) => {
  const providers = new Set<string | null>();
  for (let i = 0; i < times; i++) {
    const response = await fetch(`${url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }) });
    expect(response.status).toBe(200);
    providers.add(response.headers.get('x-gateway-provider'));
  }
  return [...providers].sort();
};

describe("routing({ strategy })", () => {
  it('is the strategy of a virtual model that names none, and not of one that names its own', async () => {
    const provider = { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false };
    const gw = await startGateway({
      providers: { a: provider, b: provider },
      models: { pool: { targets: ['a/m', 'b/m'] }, ordered: { strategy: 'fallback', targets: ['a/m', 'b/m'] } },
      plugins: [routing({ strategy: 'round-robin' })],
    });
    try {
      expect(await servedBy(gw.url, 'pool', 4)).toEqual(['a', 'b']);
      expect(await servedBy(gw.url, 'ordered', 4)).toEqual(['a']);
    } finally {
      await gw.close();
    }
  });
});
