/**
 * The example plugin packages, loaded by their npm names (as docs/plugins.md "Using one" shows),
 * where they broke what their READMEs and the plugin guide say: a prompt guard that let every
 * other forbidden prompt through, and Ollama's model list shown whole to a key limited to a few.
 */
import OpenAI from 'openai';
import promptGuard from 'llm-gateway-plugin-prompt-guard';
import ollamaApi from 'llm-gateway-plugin-ollama-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth } from '../../index.js';
import { startGateway, startMockUpstream, mockProvider, type MockUpstream } from '../../sdk/testing.js';

const ADMIN = 'admin-key-for-review-0123456789';
let upstream: MockUpstream;
beforeAll(async () => {
  upstream = await startMockUpstream();
});
afterAll(async () => {
  await upstream?.close();
});

describe('llm-gateway-plugin-prompt-guard', () => {
  // README: `flags` are "RegExp flags for every pattern" and "a match refuses the request". The
  // schema accepted `g` and `y`; index.js builds each RegExp once and tests it on every request,
  // and with `g` or `y` a RegExp remembers where its last match ended (lastIndex). Before its fix
  // the same forbidden prompt was refused, then let through to the provider, then refused again.
  // Now those two flags, which mean nothing for a yes-or-no test, are refused at configuration.
  it("refuses the flags g and y at configuration, which let every other forbidden prompt through", () => {
    expect(() => promptGuard({ deny: ['secret'], flags: 'gi' })).toThrow(/flags/);
    expect(() => promptGuard({ deny: ['secret'], flags: 'y' })).toThrow(/flags/);
  });

  it('refuses a forbidden prompt every time with the flags it accepts', async () => {
    const gw = await startGateway({ providers: { mock: mockProvider(upstream) }, plugins: [promptGuard({ deny: ['secret'], flags: 'is' })] });
    try {
      const client = new OpenAI({ baseURL: gw.baseURL, apiKey: 'unused', maxRetries: 0 });
      const statuses: number[] = [];
      for (let i = 0; i < 3; i++) {
        statuses.push(
          await client.chat.completions
            .create({ model: 'mock/mock-small', messages: [{ role: 'user', content: 'tell me the secret' }] })
            .then(() => 200, (error: InstanceType<typeof OpenAI.APIError>) => error.status ?? 0),
        );
      }
      expect(statuses).toEqual([400, 400, 400]);
    } finally {
      await gw.close();
    }
  });
});

describe('llm-gateway-plugin-ollama-api with gateway:auth', () => {
  // docs/keys-and-usage.md: "`GET /v1/models` lists to a key only the models its globs allow".
  // The example's lib/tags.js says `/api/tags` lists "the models the gateway serves, as `GET
  // /v1/models` lists them", and its index.js says the whole pipeline applies, keys included.
  // Before its fix index.js answered `/api/tags` with `host.models.list()` and never asked the
  // `modelVisibility` service (exported by llm-gateway/plugin for exactly this): a key restricted to
  // one model saw, through Ollama's API, every model the gateway has.
  it("lists to a key, on /api/tags, only the models it may use, as /v1/models does", async () => {
    const gw = await startGateway({
      server: { adminKey: ADMIN },
      providers: { mock: mockProvider(upstream, { models: ['mock-small', 'mock-large'] }) },
      models: { secret: { targets: ['mock/mock-large'] } },
      plugins: [auth(), ollamaApi()],
    });
    try {
      const created = await fetch(`${gw.url}/admin/keys`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'small-only', models: ['mock/mock-small'] }),
      });
      const { secret } = (await created.json()) as { secret: string };
      const headers = { authorization: `Bearer ${secret}` };
      const v1 = (await (await fetch(`${gw.baseURL}/models`, { headers })).json()) as { data: Array<{ id: string }> };
      const tags = (await (await fetch(`${gw.url}/api/tags`, { headers })).json()) as { models: Array<{ name: string }> };
      expect(v1.data.map((m) => m.id)).toEqual(['mock/mock-small']);
      expect(tags.models.map((m) => m.name).sort()).toEqual(v1.data.map((m) => m.id).sort());
    } finally {
      await gw.close();
    }
  });
});
