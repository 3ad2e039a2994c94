/**
 * The Providers page's "Add a provider" form takes a type's other options as JSON. Before it, the
 * form had only a base URL and a key, so an Azure OpenAI provider (which needs `endpoint`, and
 * `entraId` for a resource without keys) could not be added from the dashboard at all.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dashboard } from '../../../index.js';
import { startGateway, type RunningGateway } from '../../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../../support/mock-upstream.js';
import { logInWithFetch } from './login.js';

const ADMIN_KEY = 'admin-key-of-the-provider-form-tests';
let upstream: MockUpstream;
let gw: RunningGateway;
let session: { cookie: string; csrf: string };

beforeAll(async () => {
  process.env.LLM_GATEWAY_SECRETS_KEY = 'secrets key of the provider form tests';
  upstream = await startMockUpstream();
  gw = await startGateway({ server: { adminKey: ADMIN_KEY }, providers: { a: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false } }, plugins: [dashboard()] });
  const { cookie, csrf } = await logInWithFetch(gw.url, ADMIN_KEY);
  session = { cookie: cookie!, csrf: csrf! };
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
  delete process.env.LLM_GATEWAY_SECRETS_KEY;
});
beforeEach(() => upstream.reset());

const add = (fields: Record<string, string>) =>
  fetch(`${gw.url}/dashboard/providers`, {
    method: 'POST',
    headers: { cookie: session.cookie, 'x-csrf-token': session.csrf, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(fields),
  }).then((r) => r.text());

describe('adding a provider with more options', () => {
  it('adds an Azure OpenAI provider, its endpoint in the JSON and its key sealed, and serves it', async () => {
    const page = await add({ name: 'azure', type: 'azure-openai', apiKey: 'az-key-typed-in-1234', options: JSON.stringify({ endpoint: `http://127.0.0.1:${upstream.port}`, apiVersion: 'v1', deployments: { 'gpt-4o': 'prod-gpt4o' } }) });
    expect(page).toContain('Provider azure added.');
    expect(page).not.toContain('az-key-typed-in');
    expect(gw.gateway.live.overrides().providers.azure).toMatchObject({ type: 'azure-openai', apiVersion: 'v1', apiKey: { secret: 'provider:azure:apiKey' } });
    const answer = await new OpenAI({ baseURL: gw.baseURL, apiKey: 'client', maxRetries: 0 }).chat.completions.create({ model: 'azure/gpt-4o', messages: [{ role: 'user', content: 'from the form' }] });
    expect(answer.choices[0]?.message.content).toBe('echo: from the form');
    expect(upstream.requests[0]).toMatchObject({ path: '/openai/v1/chat/completions', body: { model: 'prod-gpt4o' } });
    expect(upstream.requests[0]?.headers['api-key']).toBe('az-key-typed-in-1234');
  });

  it('lets the fields win over the same options in the JSON', async () => {
    const page = await add({ name: 'plain', type: 'openai-compatible', baseURL: upstream.baseURL, options: JSON.stringify({ type: 'gemini', baseURL: 'http://elsewhere.invalid', listModels: false }) });
    expect(page).toContain('Provider plain added.');
    expect(gw.gateway.live.overrides().providers.plain).toMatchObject({ type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false });
  });

  it('refuses options that are not a JSON object, saying so, and adds nothing', async () => {
    for (const options of ['{"endpoint": ', '["endpoint"]']) {
      const page = await add({ name: 'broken', type: 'azure-openai', apiKey: 'k', options });
      expect(page).toContain('options must be a JSON object');
      expect(gw.gateway.live.overrides().providers.broken).toBeUndefined();
    }
  });

  it('shows what the type refuses (an Azure provider without its endpoint)', async () => {
    const page = await add({ name: 'no-endpoint', type: 'azure-openai', apiKey: 'k' });
    expect(page).toContain('endpoint');
    expect(page).not.toContain('Provider no-endpoint added.');
  });
});
