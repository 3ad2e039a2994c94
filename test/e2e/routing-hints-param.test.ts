/**
 * Client routing hints sent in the body's `gateway` object: the 400 names the parameter the client sent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routing } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { mockProvider, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

describe('hints in the body', () => {
  let a: MockUpstream;
  let b: MockUpstream;
  let gw: RunningGateway;
  beforeAll(async () => {
    a = await startMockUpstream();
    b = await startMockUpstream();
    gw = await startGateway({ providers: { a: mockProvider(a), b: mockProvider(b) }, models: { pair: { targets: ['a/m', 'b/m'] } }, plugins: [routing()] });
  });
  afterAll(async () => {
    await gw.close();
    await a.close();
    await b.close();
  });

  // docs/routing.md ("Client hints"): "An unknown strategy, excluding every target, or a malformed
  // `gateway` object is a 400 that names the parameter", and a malformed body field is named
  // `gateway.<field>` (core/http/request-options.ts). plugins/routing/index.ts names the HEADER
  // (`x-gateway-strategy`, `x-gateway-exclude`) whatever the client used: a client that sent only
  // `"gateway": { "strategy": ... }` or `{ "exclude": [...] }` in its body is told to fix a header
  // it never sent.
  it.each([
    [{ strategy: 'fastest-please' }, 'unknown_strategy', 'gateway.strategy'],
    [{ exclude: ['a', 'b'] }, 'no_target_left', 'gateway.exclude'],
  ])("a bad body hint %j names the body's field", async (hints, code, param) => {
    const res = await fetch(`${gw.baseURL}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'pair', gateway: hints, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(400);
    const { error } = (await res.json()) as { error: { code: string; param: string } };
    expect(error.code).toBe(code);
    // Before its fix: 'x-gateway-strategy' / 'x-gateway-exclude'.
    expect(error.param).toBe(param);
  });
});
