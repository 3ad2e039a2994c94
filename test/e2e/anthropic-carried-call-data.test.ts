/**
 * The thinking blocks the Anthropic front-end makes to carry a tool call's provider data (Gemini's
 * thought signature; plugins/anthropic/protocol/carried-call-data.ts) are the gateway's alone. When
 * the conversation goes on with another provider, an Anthropic upstream must not get them (it would
 * refuse a signature it did not make), and an OpenAI-format host gets the data back on its call as
 * `extra_content`, where Google's OpenAI-compatible endpoint keeps it. One that does not read is
 * left out, never a 500. Mock upstreams over real sockets, the official Anthropic client.
 */
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { geminiResponse, mockGeminiProvider, startMockGemini, type MockGemini } from '../support/mock-gemini.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let gemini: MockGemini;
let gw: RunningGateway;
let anthropic: Anthropic;

beforeAll(async () => {
  upstream = await startMockUpstream();
  gemini = await startMockGemini();
  gw = await startGateway({
    providers: {
      gem: mockGeminiProvider(gemini),
      claude: { type: 'anthropic', apiKey: 'sk-ant', baseURL: upstream.baseURL, listModels: false },
      chat: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false },
    },
  });
  anthropic = new Anthropic({ baseURL: gw.url, apiKey: 'client', maxRetries: 0 });
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

const tools: Anthropic.Tool[] = [{ name: 'get_weather', description: 'Weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }];

/** A first turn on Gemini, which signs its call; the content as the client got it. */
async function geminiTurn(): Promise<Anthropic.ContentBlock[]> {
  const first = await anthropic.messages.create({ model: 'gem/gemini-mock-flash', max_tokens: 100, tools, messages: [{ role: 'user', content: 'call get_weather' }] });
  expect(first.content.map((b) => b.type)).toEqual(['thinking', 'tool_use']);
  return first.content;
}

function followUp(model: string, content: Anthropic.ContentBlockParam[]) {
  const call = content.find((b): b is Anthropic.ToolUseBlockParam => b.type === 'tool_use')!;
  return anthropic.messages.create({
    model,
    max_tokens: 100,
    tools,
    messages: [
      { role: 'user', content: 'call get_weather' },
      { role: 'assistant', content },
      { role: 'user', content: [{ type: 'tool_result', tool_use_id: call.id, content: 'sunny' }] },
    ],
  });
}

describe('a conversation begun on Gemini, going on elsewhere', () => {
  it('reaches an Anthropic upstream without the carrier block, its own thinking blocks kept', async () => {
    const content = await geminiTurn();
    const ownThinking: Anthropic.ThinkingBlockParam = { type: 'thinking', thinking: 'earlier', signature: 'anthropic-made' };
    await followUp('claude/claude-test', [ownThinking, ...(content as Anthropic.ContentBlockParam[])]);
    const sent = upstream.requests.find((r) => r.path.startsWith('/v1/messages'))!.body as { messages: Array<{ role: string; content: Array<{ type: string; signature?: string }> }> };
    const assistant = sent.messages.find((m) => m.role === 'assistant')!;
    expect(assistant.content.map((b) => b.type)).toEqual(['thinking', 'tool_use']);
    expect(assistant.content[0]!.signature).toBe('anthropic-made');
  });

  it("reaches an OpenAI-format host with Gemini's signature on the call, as extra_content", async () => {
    const content = await geminiTurn();
    await followUp('chat/mock-small', content as Anthropic.ContentBlockParam[]);
    const sent = upstream.requests.find((r) => r.path === '/v1/chat/completions')!.body as { messages: Array<{ role: string; tool_calls?: Array<{ extra_content?: unknown }>; thinking_blocks?: unknown }> };
    const assistant = sent.messages.find((m) => m.role === 'assistant')!;
    expect(assistant.tool_calls?.[0]?.extra_content).toEqual({ google: { thought_signature: 'sig-get_weather' } });
    expect(assistant.thinking_blocks).toBeUndefined();
  });

  it('leaves out a carrier that does not read, and answers', async () => {
    const content = await geminiTurn();
    const garbled = content.map((b) => (b.type === 'thinking' ? { ...b, signature: `${b.signature.split(':')[0]}:not-base64-json` } : b));
    const answer = await followUp('gem/gemini-mock-flash', garbled as Anthropic.ContentBlockParam[]);
    expect(answer.content.length).toBeGreaterThan(0);
    const modelTurn = (gemini.requests.at(-1)!.body as { contents: Array<{ role: string; parts: Array<{ thought?: boolean; text?: string }> }> }).contents.find((c) => c.role === 'model')!;
    expect(modelTurn.parts.some((p) => p.thought || (p.text ?? '').includes('llm-gateway'))).toBe(false);
  });
});

const params = { model: 'gem/gemini-mock-flash', max_tokens: 100, tools, messages: [{ role: 'user' as const, content: 'weather in Paris?' }] };

/** Gemini 3's usual tool turn: a sentence, then its signed call (one event, as Gemini streams it). */
const parts = [{ text: 'Let me check the weather.' }, { functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: 'sig-real' }];

describe('the carrier block in a streamed answer', () => {
  // Expected: thinking blocks come before text: "The API response will include thinking content
  // blocks, followed by text content blocks" (https://docs.claude.com/en/docs/build-with-claude/extended-thinking),
  // and the gateway's own JSON rendering of this very answer does so ([thinking, text, tool_use];
  // from-openai-response.ts: "Before the text, as thinking goes").
  // Before its fix (a review): AnthropicEventWriter opened the carrier when the call's delta arrived, after the text
  // block: the stream was [text, thinking, tool_use], so the same upstream answer had two shapes and
  // the streamed one put a thinking block after text.
  it('comes before the text, as in the JSON answer of the same output', async () => {
    gemini.enqueue({ body: geminiResponse(parts, { finishReason: 'STOP' }) });
    const whole = await anthropic.messages.create(params);
    expect(whole.content.map((b) => b.type)).toEqual(['thinking', 'text', 'tool_use']);

    gemini.enqueue({ streamEvents: [geminiResponse(parts, { finishReason: 'STOP' })] });
    const streamed = await anthropic.messages.stream(params).finalMessage();
    expect(streamed.content.map((b) => b.type)).toEqual(whole.content.map((b) => b.type));
  });

  // Expected: as above for parallel calls that each carry data (an OpenAI-format host or a Gemini
  // that signs more than the first): the JSON answer is [thinking, thinking, tool_use, tool_use],
  // thinking first; Anthropic has no thinking block between the tool_use blocks of one response.
  // Actual (before): the stream was [thinking, tool_use, thinking, tool_use] although both calls arrived in
  // one chunk, where the writer could have put both carriers first.
  it('does not sit between the tool_use blocks of parallel calls', async () => {
    const both = [
      { functionCall: { name: 'get_weather', args: { city: 'Paris' } }, thoughtSignature: 'sig-a' },
      { functionCall: { name: 'get_weather', args: { city: 'Rome' } }, thoughtSignature: 'sig-b' },
    ];
    gemini.enqueue({ body: geminiResponse(both, { finishReason: 'STOP' }) });
    const whole = await anthropic.messages.create(params);
    expect(whole.content.map((b) => b.type)).toEqual(['thinking', 'thinking', 'tool_use', 'tool_use']);

    gemini.enqueue({ streamEvents: [geminiResponse(both, { finishReason: 'STOP' })] });
    const streamed = await anthropic.messages.stream(params).finalMessage();
    expect(streamed.content.map((b) => b.type)).toEqual(whole.content.map((b) => b.type));
  });
});
