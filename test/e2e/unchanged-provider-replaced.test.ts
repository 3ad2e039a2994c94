/**
 * A provider whose options are sent again in another order is the same provider: its open circuit
 * stays open.
 *
 * Before its fix (a review of the fifty-ninth session's own diff): ProviderRegistry's fingerprint
 * was JSON.stringify(Object.entries(options)), so the same options in another order (a script
 * re-applying its desired state from a JSON map) rebuilt the provider, and its open circuit was
 * forgotten: the dead host got traffic again at once. The fingerprint now sorts keys.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { circuitBreaker, dashboard } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { freePort } from '../support/free-port.js';
import { adminCalls, chatOutcomes } from '../support/live-config.js';

const ADMIN = 'admin-key-of-the-review-diff-unchanged-tests';
const headers = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };

let upstream: MockUpstream;
let gw: RunningGateway;
let dead: string;
const admin = adminCalls(() => gw, ADMIN);

const chat = chatOutcomes(() => gw, headers);

beforeAll(async () => {
  upstream = await startMockUpstream();
  dead = `http://127.0.0.1:${await freePort()}/v1`;
  gw = await startGateway({
    server: { adminKey: ADMIN },
    providers: { base: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false } },
    plugins: [dashboard(), circuitBreaker({ failureThreshold: 2, cooldownMs: 60_000 })],
  });
});

afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

describe('a live provider re-applied with exactly the same options', () => {
  it('keeps its open circuit when the options come in another order', async () => {
    await admin('PUT', '/admin/config/providers/down', { type: 'openai-compatible', baseURL: dead, listModels: false });
    for (let i = 0; i < 3; i++) await chat('down/mock-small');
    expect(await chat('down/mock-small')).toMatchObject({ code: 'circuit_open' });
    // Same order: kept (passes today).
    await admin('PUT', '/admin/config/providers/down', { type: 'openai-compatible', baseURL: dead, listModels: false });
    expect(await chat('down/mock-small'), 'after the same entry again').toMatchObject({ code: 'circuit_open' });
    // The same options, written in another order.
    await admin('PUT', '/admin/config/providers/down', { listModels: false, baseURL: dead, type: 'openai-compatible' });
    expect(await chat('down/mock-small'), 'after the same entry with its keys in another order').toMatchObject({ code: 'circuit_open' });
  });
});
