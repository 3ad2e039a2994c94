/**
 * The `anthropic-version` header (Anthropic Messages API, late 2026). API version
 * 2026-10-21 changed what the Messages API accepts
 * (https://platform.claude.com/docs/en/api/versioning: "The temperature, top_p, and top_k request
 * parameters are removed", "A request that places a document block directly in an assistant
 * message returns a 400 error"), and @anthropic-ai/sdk 1.x sends it on every request
 * (`'anthropic-version': '2026-10-21'`, client.js buildHeaders). Before its fix the gateway sent
 * every native request under the provider's configured version instead of the client's, and sent a
 * chat client's `temperature` to a provider set to 2026-10-21 (a 400 for each). Now the client's
 * version is forwarded (plugins/anthropic/api/messages.ts) and sampling settings give way under
 * 2026-10-21 (plugins/anthropic/protocol/from-openai-request.ts).
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { anthropicMessage } from '../support/anthropic-wire.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let gw: RunningGateway;

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({
    providers: {
      // The default version (2023-06-01), as most configs have it.
      claude: { type: 'anthropic', apiKey: 'sk-ant-upstream', baseURL: upstream.baseURL, listModels: false },
      // The current version, as an operator who follows Anthropic's docs sets it.
      claude26: { type: 'anthropic', apiKey: 'sk-ant-upstream', baseURL: upstream.baseURL, listModels: false, version: '2026-10-21' },
    },
  });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});
beforeEach(() => upstream.reset());

describe('a native Anthropic request goes up under the API version its client speaks', () => {
  // https://platform.claude.com/docs/en/api/versioning: "The anthropic-version header ... pins the
  // shape of the Claude API you get back"; the gateway promises the native request "as written".
  it('forwards the SDK\'s anthropic-version: 2026-10-21 rather than the provider\'s 2023-06-01', async () => {
    upstream.enqueue({ body: anthropicMessage([{ text: 'hi' }], { model: 'claude-sonnet-4-5' }) });
    const client = new Anthropic({ baseURL: gw.url, apiKey: 'client', maxRetries: 0 });
    await client.messages.create({ model: 'claude/claude-sonnet-4-5', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] });
    expect(upstream.requests[0]!.headers['anthropic-version']).toBe('2026-10-21');
  });

  it("forwards a 2023-06-01 client's version to a provider configured for 2026-10-21 (its temperature is valid there)", async () => {
    upstream.enqueue({ body: anthropicMessage([{ text: 'hi' }], { model: 'claude-sonnet-4-5' }) });
    const res = await fetch(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01', 'x-api-key': 'client' },
      body: JSON.stringify({ model: 'claude26/claude-sonnet-4-5', max_tokens: 50, temperature: 0.2, messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(200);
    // Sent as 2026-10-21 with temperature, Anthropic answers 400 "temperature: Extra inputs are not permitted".
    expect(upstream.requests[0]!.headers['anthropic-version']).toBe('2023-06-01');
  });
});

describe('an OpenAI request translated for a provider configured for 2026-10-21', () => {
  // Under 2026-10-21 "The temperature, top_p, and top_k request parameters are removed. A request
  // that sends any of them returns a 400 error" (even at their defaults). An OpenAI client's
  // temperature (Roo Code always sends 0) must be left out and named, or refused by the gateway
  // in the provider's terms, not sent to fail upstream.
  it('does not send temperature or top_p up under 2026-10-21', async () => {
    upstream.enqueue({ body: anthropicMessage([{ text: 'hi' }], { model: 'claude-sonnet-4-5' }) });
    const client = new OpenAI({ baseURL: `${gw.url}/v1`, apiKey: 'client', maxRetries: 0 });
    await client.chat.completions.create({ model: 'claude26/claude-sonnet-4-5', temperature: 0, top_p: 0.9, messages: [{ role: 'user', content: 'hi' }] }).catch(() => undefined);
    const sent = upstream.requests[0]?.body ?? {};
    expect({ version: upstream.requests[0]?.headers['anthropic-version'], temperature: sent.temperature, top_p: sent.top_p }).toEqual({ version: '2026-10-21', temperature: undefined, top_p: undefined });
  });
});
