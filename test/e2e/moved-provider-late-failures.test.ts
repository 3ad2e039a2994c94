/**
 * A provider pointed at another host while requests to the old, failing host are still on their
 * way: those requests end after the change, and their failures must not be counted against the
 * new host's circuit and health.
 *
 * Before its fix (a review of the fifty-ninth session's own diff): circuits and health were keyed
 * by `provider/model` alone, so the old host's late failures opened the circuit again for the new,
 * healthy host (503 `circuit_open`) and showed in its health. A circuit is now named with its
 * provider's generation (`PluginHost.providerGeneration`), taken before the call, and an attempt
 * carries the generation it was sent with, which health compares with the provider's now.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { circuitBreaker, dashboard } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { adminCalls, chatOutcomes } from '../support/live-config.js';

const ADMIN = 'admin-key-of-the-review-diff-moved-tests';
const headers = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };

let oldHost: MockUpstream;
let newHost: MockUpstream;
let gw: RunningGateway;
const admin = adminCalls(() => gw, ADMIN);

const chat = chatOutcomes(() => gw, headers);

beforeAll(async () => {
  oldHost = await startMockUpstream();
  newHost = await startMockUpstream();
  gw = await startGateway({
    server: { adminKey: ADMIN },
    providers: { base: { type: 'openai-compatible', baseURL: newHost.baseURL, listModels: false } },
    plugins: [dashboard(), circuitBreaker({ failureThreshold: 2, cooldownMs: 60_000 })],
  });
});

afterAll(async () => {
  await gw?.close();
  await oldHost?.close();
  await newHost?.close();
});

describe('a provider moved to a healthy host while requests to the failing old host are on their way', () => {
  it('does not refuse the new host with a circuit the old host\'s late failures opened', async () => {
    await admin('PUT', '/admin/config/providers/moved', { type: 'openai-compatible', baseURL: oldHost.baseURL, listModels: false });
    // The old host is failing slowly: two requests answered 500 after 800 ms.
    oldHost.enqueue({ delayMs: 800, status: 500, body: { error: { message: 'down' } } }, { delayMs: 800, status: 500, body: { error: { message: 'down' } } });
    const onTheirWay = [chat('moved/mock-small'), chat('moved/mock-small')];
    await new Promise((r) => setTimeout(r, 200));
    // The operator points the provider at a healthy host.
    await admin('PUT', '/admin/config/providers/moved', { type: 'openai-compatible', baseURL: newHost.baseURL, listModels: false });
    const old = await Promise.all(onTheirWay);
    expect(old.every((r) => r.status >= 500), 'the old host\'s requests failed').toBe(true);
    const first = await chat('moved/mock-small');
    const health = (await (await fetch(`${gw.baseURL}/providers/moved/health`, { headers })).json()) as { deployments: Array<{ deployment: string; failures: number }> };
    expect({ first, failuresShown: health.deployments.reduce((n, d) => n + d.failures, 0) }, 'the first request to the new, healthy host, and its health').toEqual({ first: { status: 200 }, failuresShown: 0 });
  });
});
