/**
 * gateway:routing through real sockets: strategies decide which target answers, clients steer
 * with hints, and the gateway's own hints never reach an upstream.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { retry, routing } from '../../../index.js';
import { startGateway, type RunningGateway } from '../../support/gateway.js';
import { completion, mockProvider, startMockUpstream, type MockUpstream } from '../../support/mock-upstream.js';

let fast: MockUpstream;
let slow: MockUpstream;
let gw: RunningGateway;

beforeAll(async () => {
  fast = await startMockUpstream();
  slow = await startMockUpstream();
  gw = await startGateway({
    providers: { fast: mockProvider(fast), slow: mockProvider(slow) },
    models: {
      weighted: { strategy: 'weighted', targets: [{ model: 'fast/heavy', weight: 3 }, { model: 'fast/light', weight: 1 }] },
      rr: { strategy: 'round-robin', targets: ['fast/one', 'fast/two', 'fast/three'] },
      quick: { strategy: 'least-latency', targets: ['slow/m', 'fast/m'] },
      cheap: { strategy: 'lowest-cost', targets: ['slow/pricey', 'fast/bargain'] },
      pair: { targets: ['slow/m', 'fast/m'] },
    },
    plugins: [routing({ prices: { 'slow/pricey': 15, fast: 0.5 } }), retry({ attempts: 1 })],
  });
});
afterAll(async () => {
  await gw?.close();
  await fast?.close();
  await slow?.close();
});
beforeEach(() => {
  fast.reset();
  slow.reset();
});

async function ask(model: string, headers: Record<string, string> = {}, extra: Record<string, unknown> = {}) {
  const res = await fetch(`${gw.baseURL}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], ...extra }),
  });
  const body = (await res.json()) as { error?: { code: string; param: string } };
  return { status: res.status, provider: res.headers.get('x-gateway-provider'), model: res.headers.get('x-gateway-model'), body };
}

describe('strategies', () => {
  it('weighted: targets answer in proportion to their weights', async () => {
    const counts: Record<string, number> = {};
    const runs = 400;
    for (let i = 0; i < runs; i++) {
      const { model } = await ask('weighted');
      counts[model!] = (counts[model!] ?? 0) + 1;
    }
    // 3:1 → 0.75; binomial sd at n=400 is 0.022, so ±0.09 is about 4 sd.
    expect(Math.abs(counts.heavy! / runs - 0.75)).toBeLessThan(0.09);
    expect(counts.heavy! + counts.light!).toBe(runs);
  });

  it('round-robin: targets take turns', async () => {
    const models = [];
    for (let i = 0; i < 6; i++) models.push((await ask('rr')).model);
    expect(models).toEqual(['one', 'two', 'three', 'one', 'two', 'three']);
  });

  it('least-latency: after measuring both, the faster deployment takes the traffic', async () => {
    for (let i = 0; i < 30; i++) slow.enqueue({ delayMs: 40, body: completion({ content: 'slow' }) });
    const providers = [];
    for (let i = 0; i < 12; i++) providers.push((await ask('quick')).provider);
    expect(providers.slice(0, 2).sort()).toEqual(['fast', 'slow']);
    expect(providers.slice(2).every((p) => p === 'fast')).toBe(true);
  });

  it('lowest-cost: the cheaper target first', async () => {
    expect(await ask('cheap')).toMatchObject({ status: 200, provider: 'fast', model: 'bargain' });
  });
});

describe('client hints', () => {
  it('x-gateway-exclude removes a provider, x-gateway-prefer moves it first', async () => {
    expect((await ask('pair')).provider).toBe('slow');
    expect((await ask('pair', { 'x-gateway-exclude': 'slow' })).provider).toBe('fast');
    expect((await ask('pair', { 'x-gateway-prefer': 'fast/m' })).provider).toBe('fast');
  });

  it('x-gateway-strategy overrides the model\'s strategy', async () => {
    const models = [];
    for (let i = 0; i < 3; i++) models.push((await ask('weighted', { 'x-gateway-strategy': 'fallback' })).model);
    expect(models).toEqual(['heavy', 'heavy', 'heavy']);
  });

  it('a gateway object in the body steers too and never reaches the upstream', async () => {
    const result = await ask('pair', {}, { gateway: { prefer: ['fast'], exclude: [] } });
    expect(result.provider).toBe('fast');
    const sent = fast.requests.find((r) => r.path === '/v1/chat/completions')?.body;
    expect(sent).toBeDefined();
    expect(sent).not.toHaveProperty('gateway');
  });

  it.each([
    [{ 'x-gateway-strategy': 'fastest-please' }, {}, 'unknown_strategy', 'x-gateway-strategy'],
    [{ 'x-gateway-exclude': 'slow,fast' }, {}, 'no_target_left', 'x-gateway-exclude'],
    [{}, { gateway: { prefer: 3 } }, 'invalid_value', 'gateway.prefer'],
    [{}, { gateway: { shuffle: true } }, 'invalid_value', 'gateway.shuffle'],
    [{}, { gateway: 'fast' }, 'invalid_value', 'gateway'],
  ])('refuses bad hints %j %j with a 400', async (headers, extra, code, param) => {
    const result = await ask('pair', headers, extra);
    expect(result.status).toBe(400);
    expect(result.body.error).toMatchObject({ code, param });
  });
});
