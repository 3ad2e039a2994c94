/**
 * A provider given another account's key (the usual answer to an exhausted quota) is not refused
 * by the gateway for the old key's Retry-After.
 *
 * Before its fix (a review of the fifty-ninth session's own diff): the block a provider's 429
 * Retry-After taught lived in the store under `provider/model`, and the Limiter made after the
 * change read it again: refused for up to an hour. Learned limits are now named with the
 * provider's generation (`PluginHost.providerGeneration`).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dashboard, rateLimits } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { adminCalls, chatOutcomes } from '../support/live-config.js';

const ADMIN = 'admin-key-of-the-review-diff-learned-block-tests';
const headers = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };

let exhausted: MockUpstream;
let fresh: MockUpstream;
let gw: RunningGateway;
let savedKey: string | undefined;
const admin = adminCalls(() => gw, ADMIN);

const chat = chatOutcomes(() => gw, headers);

beforeAll(async () => {
  savedKey = process.env.LLM_GATEWAY_SECRETS_KEY;
  process.env.LLM_GATEWAY_SECRETS_KEY = 'a-long-random-string-for-the-review-diff-learned-block-0123456789';
  exhausted = await startMockUpstream();
  fresh = await startMockUpstream();
  gw = await startGateway({
    server: { adminKey: ADMIN },
    providers: { base: { type: 'openai-compatible', baseURL: fresh.baseURL, listModels: false } },
    plugins: [dashboard(), rateLimits()],
  });
});

afterAll(async () => {
  await gw?.close();
  await exhausted?.close();
  await fresh?.close();
  if (savedKey === undefined) delete process.env.LLM_GATEWAY_SECRETS_KEY;
  else process.env.LLM_GATEWAY_SECRETS_KEY = savedKey;
});

describe('a provider whose quota ran out, given another account (key and host)', () => {
  it('is not refused for the old account\'s Retry-After', async () => {
    await admin('PUT', '/admin/config/providers/acct', { type: 'openai-compatible', baseURL: exhausted.baseURL, apiKey: 'sk-old-account-0000', listModels: false });
    exhausted.enqueue({ status: 429, headers: { 'retry-after': '3600' }, body: { error: { message: 'quota exhausted', type: 'insufficient_quota' } } });
    expect((await chat('acct/mock-small')).status).toBe(429);
    expect(await chat('acct/mock-small'), 'the learned block').toMatchObject({ code: 'deployment_rate_limited' });
    // The operator swaps in another account: another key (and host).
    await admin('PUT', '/admin/config/providers/acct', { type: 'openai-compatible', baseURL: fresh.baseURL, apiKey: 'sk-new-account-1111', listModels: false });
    expect(await chat('acct/mock-small'), 'the first request with the new account').toEqual({ status: 200 });
  });
});
