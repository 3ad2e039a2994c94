/**
 * `@ai-sdk/openai` (Responses API, its default) with `providerOptions.openai.serviceTier`, served
 * by an OpenAI-format chat upstream through the gateway's Responses front-end. The upstream's chat
 * completion says which tier actually served it (`service_tier: "default"`: flex capacity was not
 * available); the gateway's Response object reports the tier the client ASKED for instead
 * (plugins/responses/protocol/from-chat-response.ts responseShell: `request.service_tier ?? 'auto'`).
 *
 * OpenAI's API reference, `service_tier` of a Response and of a chat completion: "When the
 * service_tier parameter is set, the response body will include the service_tier value based on the
 * processing mode actually used to serve the request. This response value may be different from
 * the value set in the parameter." The SDK surfaces it as `providerMetadata.openai.serviceTier`,
 * which users read to know whether a request ran (and is billed) as flex or priority.
 *
 * Before its fix, what the user saw: `providerMetadata.openai.serviceTier === 'flex'` for a request OpenAI served
 * at the default tier (billed at the standard price); with no upstream tier it invents "auto".
 * Right behaviour: the upstream's `service_tier` when it gives one (whole answer and stream).
 */
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, streamText } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { chunk, completion, mockProvider, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let gw: RunningGateway;
let openai: ReturnType<typeof createOpenAI>;

beforeAll(async () => {
  upstream = await startMockUpstream();
  // A model name for which @ai-sdk/openai sends `service_tier: 'flex'` (gpt-5 family).
  gw = await startGateway({ providers: { azure: mockProvider(upstream) }, models: { 'gpt-5': { targets: ['azure/gpt-5'] } } });
  openai = createOpenAI({ baseURL: gw.baseURL, apiKey: 'client-key' });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

describe('the Responses front-end reports the service tier that served the request', () => {
  it('generateText', async () => {
    upstream.enqueue({ body: completion({ content: 'hi', extra: { service_tier: 'default' } }) });
    const result = await generateText({ model: openai('gpt-5'), prompt: 'hello', maxRetries: 0, providerOptions: { openai: { serviceTier: 'flex' } } });
    expect((upstream.requests.at(-1)?.body as { service_tier?: string }).service_tier).toBe('flex');
    expect(result.providerMetadata?.openai?.serviceTier).toBe('default');
  });

  it('streamText', async () => {
    const tier = { service_tier: 'default' };
    upstream.enqueue({ stream: { chunks: [chunk({ role: 'assistant', content: '' }, null, tier), chunk({ content: 'hi' }, null, tier), chunk({}, 'stop', tier)] } });
    const result = streamText({ model: openai('gpt-5'), prompt: 'hello', maxRetries: 0, providerOptions: { openai: { serviceTier: 'flex' } } });
    await result.consumeStream();
    expect((await result.providerMetadata)?.openai?.serviceTier).toBe('default');
  });
});
