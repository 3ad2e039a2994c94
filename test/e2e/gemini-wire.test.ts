/**
 * The Gemini adapter where Google's wire format asks more than a first reading: a wrong key refused
 * with a 400, function call ids given back, a conversation of system messages alone, and more
 * embeddings than one batch takes. The official `openai` client, real sockets, the mock Gemini.
 * Each case names the documented behaviour it expects.
 */
import OpenAI from 'openai';
import { retry } from '../../index.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { mockGeminiProvider, startMockGemini, type MockGemini } from '../support/mock-gemini.js';

let gemini: MockGemini;
let gw: RunningGateway;
let openai: OpenAI;

beforeAll(async () => {
  gemini = await startMockGemini({ apiKey: 'g-key' });
  gw = await startGateway({
    providers: {
      gem: mockGeminiProvider(gemini, { apiKey: 'g-key' }),
      // The operator pasted a wrong Gemini key into this one.
      badkey: mockGeminiProvider(gemini, { apiKey: 'wrong-key' }),
    },
    models: { 'gemini-ha': { targets: ['badkey/gemini-mock-flash', 'gem/gemini-mock-flash'] } },
    plugins: [retry({ attempts: 1 })],
  });
  openai = new OpenAI({ baseURL: gw.baseURL, apiKey: 'client', maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await gemini?.close();
});
beforeEach(() => {
  gemini.reset();
});

const apiError = (e: unknown) => e as InstanceType<typeof OpenAI.APIError>;
const generateCalls = () => gemini.requests.filter((r) => r.path.includes(':generateContent') || r.path.includes(':streamGenerateContent'));

describe('Gemini adapter', () => {
  it('treats Gemini\'s 400 API_KEY_INVALID as the gateway\'s own key refused (502 provider_auth_failed, falls over), not as a bad client request', async () => {
    // Gemini rejects a wrong key with HTTP 400 INVALID_ARGUMENT, "API key not valid. Please pass a
    // valid API key.", ErrorInfo reason API_KEY_INVALID (https://ai.google.dev/gemini-api/docs/troubleshooting,
    // https://cloud.google.com/apis/design/errors#error_info; the mock reproduces it). That is the
    // operator's key, exactly what the gateway maps 401/403 to for every other provider
    // (sdk/provider-kit/upstream-errors.ts credentialsRefused: 502 provider_auth_failed, retryable).
    const error = apiError(await openai.chat.completions.create({ model: 'badkey/gemini-mock-flash', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e));
    expect(error.status).toBe(502);
    expect(error.error).toMatchObject({ code: 'provider_auth_failed', provider: 'badkey' });

    // And so a virtual model whose first target has a broken key still answers from the next one.
    const answer = await openai.chat.completions.create({ model: 'gemini-ha', messages: [{ role: 'user', content: 'hello' }] });
    expect(answer.choices[0]?.message.content).toBe('echo: hello');
  });

  it('sends a function call id Gemini issued back on the replayed functionCall and on its functionResponse', async () => {
    // https://ai.google.dev/api/caching#FunctionCall: "id: Optional. The unique id of the function
    // call. If populated, the client to execute the functionCall and return the response with the
    // matching id." FunctionResponse.id: "The id of the function call this response is for.
    // Populated by the client to match the corresponding function call id."
    const tools = [{ type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
    gemini.enqueue({ body: { candidates: [{ content: { role: 'model', parts: [{ functionCall: { id: 'fc-7', name: 'get_weather', args: { city: 'Paris' } } }] }, finishReason: 'STOP' }] } });
    const first = await openai.chat.completions.create({ model: 'gem/gemini-mock-flash', tools, messages: [{ role: 'user', content: 'weather?' }] });
    const assistant = first.choices[0]!.message;
    expect(assistant.tool_calls?.[0]?.id).toBe('fc-7'); // Gemini's id is kept for the client...

    await openai.chat.completions.create({
      model: 'gem/gemini-mock-flash',
      tools,
      messages: [{ role: 'user', content: 'weather?' }, assistant as OpenAI.ChatCompletionMessageParam, { role: 'tool', tool_call_id: 'fc-7', content: '{"temp":18}' }],
    });
    const sent = generateCalls()[1]?.body as { contents: Array<{ role: string; parts: Array<Record<string, { id?: string }>> }> };
    // ...but must also reach Gemini again with the call and its response.
    expect(sent.contents[1]?.parts[0]?.functionCall).toMatchObject({ id: 'fc-7', name: 'get_weather' });
    expect(sent.contents[2]?.parts[0]?.functionResponse).toMatchObject({ id: 'fc-7', name: 'get_weather' });
  });

  it('never sends Gemini an empty contents array (a request with only a system message)', async () => {
    // OpenAI accepts a conversation of one system message. Gemini's `contents` is Required
    // (https://ai.google.dev/api/generate-content#request-body) and the API answers an empty one
    // with 400 "GenerateContentRequest.contents: contents is not specified"; the mock does not
    // check, so the body sent is what is asserted.
    await openai.chat.completions.create({ model: 'gem/gemini-mock-flash', messages: [{ role: 'system', content: 'Say hello in French.' }] }).catch(() => undefined);
    const sent = generateCalls()[0]?.body as { contents: unknown[] };
    expect(sent.contents.length).toBeGreaterThan(0);
  });

  it('splits more than 100 embedding inputs into batchEmbedContents calls of at most 100', async () => {
    // OpenAI's /v1/embeddings takes up to 2048 inputs in one request
    // (https://platform.openai.com/docs/api-reference/embeddings/create). Gemini's batchEmbedContents
    // refuses more than 100: 400 "BatchEmbedContentsRequest.requests: at most 100 requests can be in
    // one batch" (reported in langchain-ai/langchainjs#4491, fixed by vercel/ai#16575 and
    // weaviate/weaviate#11277 by capping batches at 100). The mock does not enforce it, so the
    // batches sent are what is asserted.
    const inputs = Array.from({ length: 150 }, (_, i) => `text ${i}`);
    const result = await openai.embeddings.create({ model: 'gem/gemini-embedding-001', input: inputs, encoding_format: 'float' });
    expect(result.data).toHaveLength(150);
    const batches = gemini.requests.filter((r) => r.path.includes(':batchEmbedContents'));
    for (const batch of batches) expect((batch.body?.requests as unknown[]).length).toBeLessThanOrEqual(100);
  });
});
