/**
 * The Vercel AI SDK (`ai` with `@ai-sdk/openai` and `@ai-sdk/anthropic`), as its users write it,
 * against the gateway: its OpenAI provider's default is the Responses API (docs/responses-api.md),
 * `.chat()` is chat completions, and its Anthropic provider speaks Messages. Text, streams and a
 * tool loop (the SDK runs the tool and sends its result back) through each, answered by a chat
 * upstream (translated), by OpenAI natively (Responses passed through) and by Anthropic. The mock
 * upstream echoes over a real socket: "call <tool>" makes it call the tool, and a tool's result
 * comes back as "tool said: …".
 */
import { createAnthropic } from '@ai-sdk/anthropic';
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, jsonSchema, stepCountIs, streamText, tool, type LanguageModel } from 'ai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { usageLogger } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { mockProvider, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';
import { usageRecordOf } from '../support/usage-records.js';

let upstream: MockUpstream;
let gw: RunningGateway;
let openai: ReturnType<typeof createOpenAI>;
let anthropic: ReturnType<typeof createAnthropic>;

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({
    usageLog: 'sqlite::memory:',
    providers: {
      mock: mockProvider(upstream),
      oai: { type: 'openai', apiKey: 'sk-upstream', baseURL: upstream.baseURL, listModels: false },
      claude: { type: 'anthropic', apiKey: 'sk-ant-upstream', baseURL: upstream.baseURL, listModels: false },
    },
    plugins: [usageLogger()],
  });
  openai = createOpenAI({ baseURL: gw.baseURL, apiKey: 'client-key' });
  anthropic = createAnthropic({ baseURL: gw.baseURL, apiKey: 'client-key' });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

const weather = tool({
  description: 'The weather in a city',
  inputSchema: jsonSchema<{ city: string }>({ type: 'object', properties: { city: { type: 'string' } }, required: ['city'], additionalProperties: false }),
  execute: async ({ city }) => `sunny in ${city}`,
});

/** The models a user of the SDK would pick, each with the gateway endpoint it uses (made once the gateway runs). */
const CASES: Array<[name: string, endpoint: string, model: () => LanguageModel]> = [
  ['@ai-sdk/openai default (Responses) → chat upstream', 'responses', () => openai('mock/mock-small')],
  ['@ai-sdk/openai default (Responses) → OpenAI, natively', 'responses', () => openai('oai/mock-small')],
  ['@ai-sdk/openai .chat() → chat upstream', 'chat.completions', () => openai.chat('mock/mock-small')],
  ['@ai-sdk/anthropic → chat upstream (translated)', 'messages', () => anthropic('mock/mock-small')],
  ['@ai-sdk/anthropic → Anthropic, natively', 'messages', () => anthropic('claude/mock-small')],
];
const modelOf = (name: string) => CASES.find(([n]) => n === name)![2]();

describe('the Vercel AI SDK', () => {
  it.each(CASES.map(([name, endpoint]) => [name, endpoint]))('%s: generateText, recorded on the %s endpoint', async (name, endpoint) => {
    const model = modelOf(name);
    const result = await generateText({ model, prompt: 'hello there', maxRetries: 0 });
    expect(result.text).toBe('echo: hello there');
    expect(result.finishReason).toBe('stop');
    const requestId = result.response.headers?.['x-request-id'];
    expect(requestId).toBeDefined();
    const record = await usageRecordOf(gw, requestId!);
    expect(record.endpoint).toBe(endpoint);
    expect(record.status).toBe(200);
  });

  it.each(CASES.map(([name]) => [name]))('%s: streamText', async (name) => {
    const model = modelOf(name);
    const result = streamText({ model, prompt: 'stream this please', maxRetries: 0 });
    let text = '';
    for await (const part of result.textStream) text += part;
    expect(text).toBe('echo: stream this please');
    expect(await result.finishReason).toBe('stop');
  });

  it.each(CASES.map(([name]) => [name]))('%s: a tool loop (the SDK runs the tool and sends its result back)', async (name) => {
    const model = modelOf(name);
    const result = await generateText({ model, prompt: 'call weather', tools: { weather }, stopWhen: stepCountIs(3), maxRetries: 0 });
    expect(result.steps).toHaveLength(2);
    expect(result.steps[0]?.toolCalls.map((call) => ({ name: call.toolName, input: call.input }))).toEqual([{ name: 'weather', input: { city: 'Paris' } }]);
    expect(result.text).toBe('tool said: sunny in Paris');
  });

  it.each(CASES.map(([name]) => [name]))('%s: a streamed tool loop', async (name) => {
    const model = modelOf(name);
    const result = streamText({ model, prompt: 'call weather', tools: { weather }, stopWhen: stepCountIs(3), maxRetries: 0 });
    let text = '';
    for await (const part of result.textStream) text += part;
    expect((await result.steps).length).toBe(2);
    expect(text).toBe('tool said: sunny in Paris');
  });
});
