/**
 * Azure OpenAI's v1 API (`/openai/v1/...`, no api-version, the deployment as the body's model) and
 * Microsoft Entra ID tokens in place of keys, with the official `openai` client over real sockets.
 * The tokens come from the real `@azure/identity` (DefaultAzureCredential), pointed at an identity
 * endpoint in this test the way App Service points it at its own (IDENTITY_ENDPOINT and
 * IDENTITY_HEADER, https://learn.microsoft.com/azure/app-service/overview-managed-identity).
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startIdentityEndpoint, withIdentityEnvironment, type IdentityEndpoint } from '../support/identity-endpoint.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let identity: IdentityEndpoint;
let gw: RunningGateway;
let client: OpenAI;
let restoreEnvironment: () => void;

beforeAll(async () => {
  upstream = await startMockUpstream();
  identity = await startIdentityEndpoint();
  restoreEnvironment = withIdentityEnvironment(identity);
  gw = await startGateway({
    providers: {
      v1: { type: 'azure-openai', endpoint: `http://127.0.0.1:${upstream.port}`, apiVersion: 'v1', apiKey: 'az-key', deployments: { 'gpt-4o': 'prod-gpt4o' } },
      portal: { type: 'azure-openai', endpoint: `http://127.0.0.1:${upstream.port}/openai/v1/`, apiKey: 'az-key' },
      keyless: { type: 'azure-openai', endpoint: `http://127.0.0.1:${upstream.port}`, entraId: true, apiVersion: 'v1' },
      'keyless-dated': { type: 'azure-openai', endpoint: `http://127.0.0.1:${upstream.port}`, entraId: { scope: 'https://cognitiveservices.azure.us/.default' } },
    },
  });
  client = new OpenAI({ baseURL: gw.baseURL, apiKey: 'client', maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await Promise.all([upstream?.close(), identity?.close()]);
  restoreEnvironment?.();
});
beforeEach(() => {
  upstream.reset();
});

describe("Azure OpenAI's v1 API", () => {
  it('sends chat to /openai/v1/chat/completions with the deployment as the model and no api-version, whole and streamed', async () => {
    const answer = await client.chat.completions.create({ model: 'v1/gpt-4o', max_tokens: 20, messages: [{ role: 'user', content: 'hi' }] });
    expect(answer.choices[0]?.message.content).toBe('echo: hi');
    const seen = upstream.requests[0];
    expect(seen?.path).toBe('/openai/v1/chat/completions');
    expect(seen?.body).toMatchObject({ model: 'prod-gpt4o', max_completion_tokens: 20 });
    expect(seen?.headers['api-key']).toBe('az-key');

    const stream = await client.chat.completions.create({ model: 'v1/gpt-4o', stream: true, messages: [{ role: 'user', content: 'a b' }] });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('echo: a b');
    expect(upstream.requests[1]?.path).toBe('/openai/v1/chat/completions');
    expect(upstream.requests[1]?.body).toMatchObject({ model: 'prod-gpt4o', stream: true });
  });

  it('sends embeddings and Responses API requests to /openai/v1 with the deployment as the model', async () => {
    const embedded = await client.embeddings.create({ model: 'v1/gpt-4o', input: ['abc'] });
    expect(embedded.data[0]?.embedding).toEqual([3, 1, 0]);
    expect(upstream.requests[0]?.path).toBe('/openai/v1/embeddings');
    expect(upstream.requests[0]?.body).toMatchObject({ model: 'prod-gpt4o' });

    const response = await client.responses.create({ model: 'v1/gpt-4o', input: 'hello' });
    expect(response.output_text).toBe('echo: hello');
    expect(upstream.requests[1]?.path).toBe('/openai/v1/responses');
    expect(upstream.requests[1]?.body).toMatchObject({ model: 'prod-gpt4o' });
  });

  it('takes an endpoint copied from the portal, ending in /openai/v1/, as the v1 API', async () => {
    await client.chat.completions.create({ model: 'portal/my-deployment', messages: [{ role: 'user', content: 'x' }] });
    expect(upstream.requests[0]?.path).toBe('/openai/v1/chat/completions');
    expect(upstream.requests[0]?.body).toMatchObject({ model: 'my-deployment' });
  });
});

describe('Microsoft Entra ID', () => {
  it('sends a bearer token from the identity endpoint, not a key, and asks for it once', async () => {
    const before = identity.requests.length;
    for (let i = 0; i < 3; i++) {
      const answer = await client.chat.completions.create({ model: 'keyless/gpt-4o', messages: [{ role: 'user', content: `hi ${i}` }] });
      expect(answer.choices[0]?.message.content).toBe(`echo: hi ${i}`);
    }
    const tokens = upstream.requests.map((request) => request.headers.authorization);
    expect(new Set(tokens).size).toBe(1);
    expect(tokens[0]).toMatch(/^Bearer entra-token-\d+$/);
    expect(upstream.requests.every((request) => request.headers['api-key'] === undefined)).toBe(true);
    // @azure/identity keeps the token until shortly before it expires (an hour here).
    expect(identity.requests.length - before).toBeLessThanOrEqual(1);
    const asked = identity.requests.at(-1);
    expect(asked?.secretHeader).toBe('identity-header-secret');
    expect(asked?.url).toContain(`resource=${encodeURIComponent('https://cognitiveservices.azure.com')}`);
  });

  it("asks for a sovereign cloud's scope when the config names it, on the dated API", async () => {
    const answer = await client.chat.completions.create({ model: 'keyless-dated/gpt-4o', messages: [{ role: 'user', content: 'gov' }] });
    expect(answer.choices[0]?.message.content).toBe('echo: gov');
    expect(upstream.requests[0]?.path).toBe('/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21');
    expect(upstream.requests[0]?.headers.authorization).toMatch(/^Bearer entra-token-\d+$/);
    expect(identity.requests.some((request) => request.url.includes(`resource=${encodeURIComponent('https://cognitiveservices.azure.us')}`))).toBe(true);
  });
});

describe('configuration', () => {
  const endpoint = 'https://acme.openai.azure.com';
  const refusal = async (options: Record<string, unknown>) => {
    const error = (await startGateway({ providers: { az: { type: 'azure-openai', endpoint, ...options } } }).then(
      async (started) => {
        await started.close();
        return undefined;
      },
      (e: unknown) => e,
    )) as { message: string; problems?: string[] } | undefined;
    return error ? [error.message, ...(error.problems ?? [])].join('\n') : 'started';
  };

  it('refuses a key and Entra ID together, and neither', async () => {
    expect(await refusal({ apiKey: 'k', entraId: true })).toContain('config/providers/az');
    expect(await refusal({})).toContain('config/providers/az');
    expect(await refusal({ apiKey: 'k' })).toBe('started');
  });

  it('refuses an endpoint of the v1 API with a dated apiVersion', async () => {
    const said = await refusal({ endpoint: `${endpoint}/openai/v1`, apiKey: 'k', apiVersion: '2024-10-21' });
    expect(said).toContain('config/providers/az/endpoint ends in /openai/v1');
    expect(await refusal({ endpoint: `${endpoint}/openai/v1`, apiKey: 'k', apiVersion: 'v1' })).toBe('started');
  });
});
