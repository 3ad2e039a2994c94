/**
 * A key limited to some models sees, in GET /v1/providers and /v1/providers/:id/health, only the
 * deployments of those: in the kernel's `deployments` and in the sections plugins add (the circuit
 * breaker's `breaker`, rate limits' `limits`), as keys-and-usage.md says. Before its fix, the
 * sections listed every deployment of the provider, so a limited key learned the other models the
 * gateway serves there, and their state.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, circuitBreaker, rateLimits } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

const ADMIN = 'admin-key-of-the-visibility-review';
let upstream: MockUpstream;
let gw: RunningGateway;

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({
    server: { adminKey: ADMIN },
    providers: { a: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false, limits: { rpm: 1000 } } },
    plugins: [auth(), circuitBreaker(), rateLimits()],
  });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

const adminHeaders = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };
async function key(spec: Record<string, unknown>): Promise<string> {
  const res = await fetch(`${gw.url}/admin/keys`, { method: 'POST', headers: adminHeaders, body: JSON.stringify(spec) });
  return ((await res.json()) as { secret: string }).secret;
}

describe('what a limited key sees of providers', () => {
  it('does not list deployments outside the key\'s models in /v1/providers sections', async () => {
    const wide = await key({ name: 'wide' });
    const narrow = await key({ name: 'narrow', models: ['a/mock-small'] });
    for (const [secret, model] of [[wide, 'a/secret-project-model'], [narrow, 'a/mock-small']] as const) {
      const res = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' }, body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }) });
      expect(res.status).toBe(200);
    }
    const list = await (await fetch(`${gw.url}/v1/providers`, { headers: { authorization: `Bearer ${narrow}` } })).json() as { data: Array<{ deployments: Array<{ model: string }> }> };
    // The kernel's own part is filtered...
    expect(JSON.stringify(list.data[0]!.deployments)).not.toContain('secret-project-model');
    // ...the plugins' sections are not.
    expect(JSON.stringify(list), 'GET /v1/providers').not.toContain('secret-project-model');
    const health = await (await fetch(`${gw.url}/v1/providers/a/health`, { headers: { authorization: `Bearer ${narrow}` } })).text();
    expect(health, 'GET /v1/providers/a/health').not.toContain('secret-project-model');
  });
});
