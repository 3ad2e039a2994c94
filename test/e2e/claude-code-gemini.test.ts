/**
 * Claude Code (Anthropic Messages, `@anthropic-ai/sdk`) driving a Gemini model through the
 * gateway, over several turns of an agent loop: real sockets, the mock Gemini. Each case failed
 * before its fix (an agent-chain review found them), as its comment says.
 */
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { geminiResponse, mockGeminiProvider, startMockGemini, type MockGemini } from '../support/mock-gemini.js';

/** Google's documented stand-in signature, as it goes on the wire. */
const STAND_IN_SIGNATURE = 'skip_thought_signature_validator';

let gemini: MockGemini;
let gw: RunningGateway;
let anthropic: Anthropic;
const generate = () => gemini.requests.filter((r) => r.path.includes(':generateContent') || r.path.includes(':streamGenerateContent'));

type GeminiPart = { text?: string; thought?: boolean; thoughtSignature?: string; functionCall?: { name: string; args?: unknown }; functionResponse?: { name: string; response?: unknown } };
type GeminiContent = { role: string; parts: GeminiPart[] };

const tools: Anthropic.Tool[] = [
  { name: 'get_weather', description: 'Weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } },
  { name: 'get_time', description: 'Time', input_schema: { type: 'object', properties: { city: { type: 'string' } } } },
];

beforeAll(async () => {
  gemini = await startMockGemini({ apiKey: 'g-key' });
  gw = await startGateway({ providers: { gem: mockGeminiProvider(gemini, { apiKey: 'g-key' }) } });
  anthropic = new Anthropic({ baseURL: gw.url, apiKey: 'client', maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await gemini?.close();
});
beforeEach(() => gemini.reset());

describe('Claude Code on Gemini: thought signatures across the tool loop', () => {
  // https://ai.google.dev/gemini-api/docs/thought-signatures: Gemini 3 refuses a function-calling
  // step whose first functionCall comes back without its thought signature (400 "Function call is
  // missing a thought_signature in functionCall parts"). A tool_use block is id, name and input, so
  // an Anthropic client has nowhere to keep it on the call; but it sends a thinking block back as
  // it got it, signature included, even without asking for thinking (Claude Code 2.1 does, seen
  // with the real CLI). So the gateway puts each signed call's provider data in the signature of an
  // empty thinking block before the call (plugins/anthropic/protocol/carried-call-data.ts), and
  // the next turn gets Gemini's own signature back. Before, turn 2 got Google's documented stand-in
  // (accepted, without the reasoning the real signature stood for); a client that drops thinking
  // blocks still gets it.
  it('sends Gemini its own signature on turn 2 when the client sends the content back as it got it (streamed, parallel calls)', async () => {
    const first = await anthropic.messages.stream({ model: 'gem/gemini-mock-flash', max_tokens: 200, tools, messages: [{ role: 'user', content: 'call both' }] }).finalMessage();
    expect(first.stop_reason).toBe('tool_use');
    const calls = first.content.filter((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use');
    expect(calls.map((c) => c.name)).toEqual(['get_weather', 'get_time']);
    // One carrier, before the one signed call: Gemini signs only the first of parallel calls.
    expect(first.content.map((b) => b.type)).toEqual(['thinking', 'tool_use', 'tool_use']);
    expect(first.content[0]).toMatchObject({ type: 'thinking', thinking: '' });

    // Claude Code sends the assistant content back exactly as it got it, then the results.
    await anthropic.messages.stream({
      model: 'gem/gemini-mock-flash',
      max_tokens: 200,
      tools,
      messages: [
        { role: 'user', content: 'call both' },
        { role: 'assistant', content: first.content },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: calls[0]!.id, content: 'sunny' },
            { type: 'tool_result', tool_use_id: calls[1]!.id, content: 'noon' },
          ],
        },
      ],
    }).finalMessage();

    const contents = generate()[1]?.body?.contents as GeminiContent[];
    const modelTurn = contents.find((c) => c.role === 'model');
    // The carrier is the gateway's: no thought part of it reaches Gemini, only the signature.
    expect(modelTurn?.parts.map((p) => p.functionCall?.name)).toEqual(['get_weather', 'get_time']);
    expect(modelTurn?.parts.map((p) => p.thoughtSignature)).toEqual(['sig-get_weather', undefined]);
  });

  it('does the same for a turn that was not streamed, and signs with the stand-in when the client dropped the thinking block', async () => {
    for (const [model, keepsThinking, signature] of [
      ['gem/gemini-mock-flash', true, 'sig-get_weather'],
      ['gem/gemini-mock-flash', false, STAND_IN_SIGNATURE],
      // Gemini 2.5 checks no signature: none is made up for it.
      ['gem/gemini-2.5-flash', false, undefined],
    ] as const) {
      gemini.reset();
      const first = await anthropic.messages.create({ model, max_tokens: 200, tools, messages: [{ role: 'user', content: 'call get_weather' }] });
      const call = first.content.find((b): b is Anthropic.ToolUseBlock => b.type === 'tool_use')!;
      await anthropic.messages.create({
        model,
        max_tokens: 200,
        tools,
        messages: [
          { role: 'user', content: 'call get_weather' },
          { role: 'assistant', content: keepsThinking ? first.content : first.content.filter((b) => b.type !== 'thinking') },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: 'sunny' }] },
        ],
      });
      const contents = generate()[1]?.body?.contents as GeminiContent[];
      const modelTurn = contents.find((c) => c.role === 'model');
      expect(modelTurn?.parts.map((p) => p.functionCall?.name)).toEqual(['get_weather']);
      expect(modelTurn?.parts[0]?.thoughtSignature).toBe(signature);
    }
  });
});

describe('Claude Code on Gemini: tool results as functionResponse', () => {
  const resultTurn = async (result: Anthropic.ToolResultBlockParam) => {
    await anthropic.messages.create({
      model: 'gem/gemini-mock-flash',
      max_tokens: 100,
      tools,
      messages: [
        { role: 'user', content: 'call get_weather' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } }] },
        { role: 'user', content: [result] },
      ],
    });
    const contents = generate().at(-1)?.body?.contents as GeminiContent[];
    return contents.flatMap((c) => c.parts).find((p) => p.functionResponse)?.functionResponse;
  };

  // Anthropic's tool_result content is a list of separate blocks (MCP tools and Claude Code answer
  // with several text blocks). Before its fix the Gemini adapter joined their texts with nothing between them
  // (plugins/gemini/to-gemini.ts functionResponse: `.join('')`), so the last word of one block and
  // the first of the next run together ("Exit code 1" + "FAIL" → "Exit code 1FAIL"): the model
  // reads a different text than the tool wrote. (The OpenAI-format path keeps the blocks apart.)
  it('keeps the text blocks of a result apart', async () => {
    const response = await resultTurn({ type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'line one' }, { type: 'text', text: 'line two' }] });
    expect(JSON.stringify(response?.response)).not.toContain('line oneline two');
    expect(JSON.stringify(response?.response)).toMatch(/line one.+line two/);
  });

  // Gemini's FunctionResponse.response (https://ai.google.dev/api/caching#FunctionResponse): "Use
  // "output" key to specify function output and "error" key to specify error details (if any)."
  // Before its fix an Anthropic tool_result with is_error: true reached Gemini as
  // `{result: "[tool error] ..."}`, the function's output.
  it('sends a failed tool (is_error) as the error of the function response', async () => {
    const response = await resultTurn({ type: 'tool_result', tool_use_id: 'toolu_1', is_error: true, content: 'city not found' });
    expect(response?.response).toEqual({ error: 'city not found' });
  });
});
