/**
 * A provider removed and added again, or pointed at another host, through the admin API: what was
 * kept of its old host (its circuit, its health) must not outlive the host it was about.
 *
 * Before its fix (a review of state under churn, the fifty-ninth session): circuits and health
 * were keyed by the `provider/model` name alone, so the first request to the new, healthy host was
 * refused with 503 `circuit_open` for the old, dead host's failures, and its health showed the old
 * host's failures. A provider replaced or removed (`config:change`'s `replaced`) now has its
 * deployments' health dropped and its circuits forgotten, in the store too (`Circuit.forget`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { circuitBreaker, dashboard } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { freePort } from '../support/free-port.js';
import { adminCalls, chatOutcomes } from '../support/live-config.js';

const ADMIN = 'admin-key-of-the-readd-review-tests';
const headers = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };

let upstream: MockUpstream;
let gw: RunningGateway;
let savedKey: string | undefined;

const admin = adminCalls(() => gw, ADMIN);

const chat = chatOutcomes(() => gw, headers);

beforeAll(async () => {
  savedKey = process.env.LLM_GATEWAY_SECRETS_KEY;
  process.env.LLM_GATEWAY_SECRETS_KEY = 'a-long-random-string-for-the-readd-review-tests-0123456789';
  upstream = await startMockUpstream();
  gw = await startGateway({
    server: { adminKey: ADMIN },
    providers: { base: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false } },
    plugins: [dashboard(), circuitBreaker({ failureThreshold: 2, cooldownMs: 60_000 })],
  });
});

afterAll(async () => {
  await gw?.close();
  await upstream?.close();
  if (savedKey === undefined) delete process.env.LLM_GATEWAY_SECRETS_KEY;
  else process.env.LLM_GATEWAY_SECRETS_KEY = savedKey;
});

describe('a provider pointed at another host, or removed and added again', () => {
  it('does not refuse the new host with the circuit the old, dead host opened', async () => {
    const dead = `http://127.0.0.1:${await freePort()}/v1`;
    await admin('PUT', '/admin/config/providers/moved', { type: 'openai-compatible', baseURL: dead, listModels: false });
    for (let i = 0; i < 3; i++) await chat('moved/mock-small');
    expect((await chat('moved/mock-small')).code).toBe('circuit_open');
    // The operator fixes the URL (or removes the provider and adds it again, same name).
    await admin('DELETE', '/admin/config/providers/moved');
    await admin('PUT', '/admin/config/providers/moved', { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false });
    expect(await chat('moved/mock-small'), 'the first request to the new, healthy host').toEqual({ status: 200 });
  });

  it('starts the re-added provider\'s health clean (no failures nor latency of the old host)', async () => {
    // `moved/mock-small` was the dead host's: GET /v1/providers/moved/health still shows its failures.
    const health = (await (await fetch(`${gw.baseURL}/providers/moved/health`, { headers })).json()) as { deployments: Array<{ deployment: string; failures: number }> };
    expect(health.deployments.reduce((n, d) => n + d.failures, 0), 'failures shown for the re-added provider').toBe(0);
  });
});
