/**
 * Codex CLI (the OpenAI Responses API, the official `openai` client) driving models of other
 * protocols through the gateway: the function_call_output of turn 1 sent back in turn 2.
 * Real sockets; the mock OpenAI-format/Anthropic upstream and the mock Gemini.
 * Each case failed before its fix (an agent-chain review found them), as its comment says.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { mockGeminiProvider, startMockGemini, type MockGemini } from '../support/mock-gemini.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let gemini: MockGemini;
let gw: RunningGateway;
let client: OpenAI;

const viewImage = {
  type: 'function' as const,
  name: 'view_image',
  description: 'View a local image',
  parameters: { type: 'object', properties: { path: { type: 'string' } }, required: ['path'], additionalProperties: false },
  strict: false,
};
const PNG = 'data:image/png;base64,iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==';

beforeAll(async () => {
  upstream = await startMockUpstream();
  gemini = await startMockGemini();
  gw = await startGateway({
    providers: {
      chat: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false },
      gem: mockGeminiProvider(gemini),
    },
  });
  client = new OpenAI({ baseURL: gw.baseURL, apiKey: 'client-key', maxRetries: 0 });
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

/**
 * Turn 2 of Codex's view_image loop: the call of turn 1 and its output, an image. The Responses API
 * documents `function_call_output.output` as "string | ResponseFunctionCallOutputItemList" whose
 * items are input_text, input_image or input_file (openai-node resources/responses/responses.ts
 * ResponseInputItem.FunctionCallOutput; https://platform.openai.com/docs/api-reference/responses/create),
 * and Codex's view_image answers with an input_image item.
 */
const turn2 = (model: string): OpenAI.Responses.ResponseCreateParamsNonStreaming => ({
  model,
  tools: [viewImage],
  input: [
    { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'what is in shot.png?' }] },
    { type: 'function_call', call_id: 'call_img', name: 'view_image', arguments: '{"path":"shot.png"}' },
    { type: 'function_call_output', call_id: 'call_img', output: [{ type: 'input_image', image_url: PNG, detail: 'auto' }] } as unknown as OpenAI.Responses.ResponseInputItem,
  ],
});

describe('an image returned by a tool (Codex view_image), on the next turn', () => {
  // OpenAI's chat completions take text only in a `tool` message: ChatCompletionToolMessageParam
  // is `content: string | Array<ChatCompletionContentPartText>` (openai-node
  // resources/chat/completions.ts), and OpenAI refuses an image there ("Image URLs are only
  // allowed for messages with role 'user'"). The Anthropic front-end already moves such images into
  // the next user message (plugins/anthropic/protocol/to-openai-request.ts toolMessage); the
  // Responses front-end puts the image_url part inside the tool message
  // (plugins/responses/protocol/to-chat-request.ts, function_call_output).
  it('sends no image inside a tool message to an OpenAI-format host, and still sends the image', async () => {
    await client.responses.create(turn2('chat/mock-small'));
    const messages = upstream.requests.at(-1)?.body?.messages as Array<{ role: string; content: unknown }>;
    const tool = messages.find((m) => m.role === 'tool');
    expect(tool).toBeDefined();
    const parts = Array.isArray(tool!.content) ? (tool!.content as Array<{ type: string }>) : [];
    expect(parts.filter((p) => p.type !== 'text')).toEqual([]);
    expect(JSON.stringify(messages.filter((m) => m.role === 'user'))).toContain(PNG.slice(-20));
  });

  // Gemini: a functionResponse carries JSON (and, on Gemini 3, `parts` holding inline data:
  // https://ai.google.dev/gemini-api/docs/function-calling "multimodal function responses"); images
  // also go as inlineData parts of a user turn (https://ai.google.dev/api/caching#Part). The Gemini
  // adapter reads only the text of a tool message (plugins/gemini/to-gemini.ts functionResponse),
  // so the image is dropped without a word: no 400, no x-gateway-dropped, and the model answers
  // about an image it never saw.
  it('reaches a Gemini model, or is refused, but is not dropped silently', async () => {
    const res = await fetch(`${gw.baseURL}/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(turn2('gem/gemini-mock-flash')) });
    if (res.status === 200 && res.headers.get('x-gateway-dropped') === null) {
      const body = JSON.stringify(gemini.requests.at(-1)?.body);
      expect(body).toContain('inlineData');
      expect(body).toContain(PNG.slice(-20));
    } else {
      expect(res.status === 400 || res.headers.get('x-gateway-dropped') !== null).toBe(true);
    }
  });
});
