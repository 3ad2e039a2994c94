/**
 * `tool_choice: { type: 'allowed_tools', allowed_tools: { mode, tools } }` on `/v1/chat/completions`
 * for a translated upstream (Anthropic, Gemini).
 *
 * Before its fix, what the user saw: a 400 "<provider> cannot honour this tool_choice." for a tool_choice form the
 * openai SDK types and OpenAI's Chat Completions API accept (openai-node
 * `ChatCompletionAllowedToolChoice`: "Constrains the tools available to the model to a pre-defined
 * set"; `ChatCompletionAllowedTools.mode`: "`auto` allows the model to pick from among the allowed
 * tools and generate a message. `required` requires the model to call one or more of the allowed
 * tools"; tools listed as `{ type: 'function', function: { name } }`). The same choice sent to
 * `/v1/responses` works for every provider: the Responses front-end narrows the tools to the allowed
 * ones (plugins/responses/protocol/tools.ts `toChatToolChoice`), so only chat clients are refused.
 *
 * Right behaviour: the same translation as for the Responses API: offer only the allowed functions
 * and ask for `auto` / `required` (Anthropic `{ type: 'auto' | 'any' }`; Gemini mode AUTO / ANY,
 * https://ai.google.dev/gemini-api/docs/function-calling, functionCallingConfig).
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { mockGeminiProvider, startMockGemini, type MockGemini } from '../support/mock-gemini.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let gemini: MockGemini;
let gw: RunningGateway;
let openai: OpenAI;

const tools = [
  { type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } },
  { type: 'function' as const, function: { name: 'delete_account', parameters: { type: 'object', properties: {} } } },
];
const allowWeather = (mode: 'auto' | 'required') => ({ type: 'allowed_tools' as const, allowed_tools: { mode, tools: [{ type: 'function', function: { name: 'get_weather' } }] } });

beforeAll(async () => {
  upstream = await startMockUpstream();
  gemini = await startMockGemini();
  gw = await startGateway({
    providers: {
      claude: { type: 'anthropic', apiKey: 'sk-ant', baseURL: upstream.baseURL, listModels: false },
      gem: mockGeminiProvider(gemini),
    },
  });
  openai = new OpenAI({ baseURL: gw.baseURL, apiKey: 'client', maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
  await gemini?.close();
});
beforeEach(() => {
  upstream.reset();
  gemini.reset();
});

describe('allowed_tools tool_choice on chat completions', () => {
  it('Anthropic: offers only the allowed tool, any tool required', async () => {
    // Before the fix: 400 "claude cannot honour this tool_choice."
    const answer = await openai.chat.completions.create({ model: 'claude/claude-test', messages: [{ role: 'user', content: 'call get_weather' }], tools, tool_choice: allowWeather('required') });
    expect(answer.choices[0]?.message.tool_calls?.[0]).toMatchObject({ function: { name: 'get_weather' } });
    const sent = upstream.requests.find((r) => r.path === '/v1/messages')?.body as Record<string, unknown>;
    expect((sent.tools as Array<{ name: string }>).map((t) => t.name)).toEqual(['get_weather']);
    expect(sent.tool_choice).toMatchObject({ type: 'any' });
  });

  it('Gemini: offers only the allowed function, mode AUTO', async () => {
    // Before the fix: 400 "gem cannot honour this tool_choice."
    const answer = await openai.chat.completions.create({ model: 'gem/gemini-mock-flash', messages: [{ role: 'user', content: 'hello' }], tools, tool_choice: allowWeather('auto') });
    expect(answer.choices[0]?.message.content).toBe('echo: hello');
    const sent = gemini.requests[0]?.body as { tools?: Array<{ functionDeclarations: Array<{ name: string }> }>; toolConfig?: unknown };
    expect(sent.tools?.[0]?.functionDeclarations.map((d) => d.name)).toEqual(['get_weather']);
    expect(sent.toolConfig).toMatchObject({ functionCallingConfig: { mode: 'AUTO' } });
  });
});
