/**
 * A deployment with limits of its own (`rateLimits({ limits: { 'acct/mock-small': ... } })`),
 * pointed at a new account: the old account's Retry-After block does not outlive it.
 *
 * Before its fix (a review of the fifty-ninth session's last changes): such a deployment kept what
 * a 429's Retry-After taught in its configured Limiter, named `limits:acct/mock-small` without the
 * provider's generation, so the block held the new account's requests too. Blocks now always go to
 * the deployment's learned scope, named with the generation, beside its configured limits.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboard, rateLimits } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { adminCalls, chatOutcomes } from '../support/live-config.js';

const ADMIN = 'admin-key-of-the-review-last-learned-block-configured';
const headers = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };

let exhausted: MockUpstream;
let fresh: MockUpstream;
let gw: RunningGateway;
const admin = adminCalls(() => gw, ADMIN);
const chat = chatOutcomes(() => gw, headers);

beforeAll(async () => {
  exhausted = await startMockUpstream();
  fresh = await startMockUpstream();
  gw = await startGateway({
    server: { adminKey: ADMIN },
    providers: { base: { type: 'openai-compatible', baseURL: fresh.baseURL, listModels: false } },
    plugins: [dashboard(), rateLimits({ limits: { 'acct/mock-small': { rpm: 1000 } } })],
  });
});

afterAll(async () => {
  await gw?.close();
  await exhausted?.close();
  await fresh?.close();
});

describe('a deployment with configured limits, its provider given another account', () => {
  it("is not refused for the old account's Retry-After", async () => {
    await admin('PUT', '/admin/config/providers/acct', { type: 'openai-compatible', baseURL: exhausted.baseURL, listModels: false });
    exhausted.enqueue({ status: 429, headers: { 'retry-after': '3600' }, body: { error: { message: 'quota exhausted', type: 'insufficient_quota' } } });
    expect((await chat('acct/mock-small')).status).toBe(429);
    expect(await chat('acct/mock-small'), 'the learned block').toMatchObject({ code: 'deployment_rate_limited' });
    await admin('PUT', '/admin/config/providers/acct', { type: 'openai-compatible', baseURL: fresh.baseURL, listModels: false });
    expect(await chat('acct/mock-small'), 'the first request with the new account').toEqual({ status: 200 });
  });
});
