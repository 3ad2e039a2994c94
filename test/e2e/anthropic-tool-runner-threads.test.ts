/**
 * `client.beta.messages.toolRunner(...)` (with `betaZodTool`) through the gateway, to providers that
 * are not Anthropic.
 *
 * Before its fix, what the user saw: @anthropic-ai/sdk 1.12 runs the tool loop over a *message thread* by default
 * (resources/beta/messages/messages.js `_toolRunnerThread`: `threading: thread !== false &&
 * client._supportsMessageThreads`, true for `new Anthropic()`). The first turn sends
 * `thread: {type: 'create'}`; every later turn sends `thread: {type: 'continue', previous_message_id}`
 * and ONLY the new messages (the tool results), without `tools` either: the server is meant to hold
 * the rest (resources/beta/messages/messages.d.ts `BetaMessageThreadParam`: "`continue` resumes from
 * a previous response so only the new turn's messages are sent"). The gateway's translation
 * (plugins/anthropic/protocol/to-openai-request.ts) leaves `thread` out without a word, so an
 * OpenAI-format upstream gets a conversation that starts with `tool` messages, no user prompt, no
 * assistant turn and no tools (OpenAI answers 400 "messages with role 'tool' must be a response to a
 * preceding message with 'tool_calls'"; a lenient host answers a question nobody asked), and Gemini's
 * translation refuses it with a 400 ("tool_call_id does not match a tool call").
 *
 * Right behaviour: either hold the thread, or refuse `thread` for a target that cannot hold it in the
 * way the SDK understands: a 400 whose `error.details` is `{error_code: 'thread_unsupported_request',
 * unsupported: [...]}` (lib/internal/threads/ThreadState.js `recoversFrom`/`unsupportedFeatures`: the
 * tool runner, created with `unsupportedRequestBehavior: 'continue_unthreaded'`, then stops threading
 * and sends the full history again). Either way the upstream must see the whole conversation.
 */
import Anthropic from '@anthropic-ai/sdk';
import { betaZodTool } from '@anthropic-ai/sdk/helpers/beta/zod';
import { z } from 'zod';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { mockGeminiProvider, startMockGemini, type MockGemini } from '../support/mock-gemini.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let gemini: MockGemini;
let gw: RunningGateway;
let anthropic: Anthropic;

const weather = betaZodTool({ name: 'get_weather', description: 'Weather in a city', inputSchema: z.object({ city: z.string() }), run: async ({ city }) => `sunny in ${city}` });
const time = betaZodTool({ name: 'get_time', description: 'Time in a city', inputSchema: z.object({ city: z.string() }), run: async ({ city }) => `noon in ${city}` });

beforeAll(async () => {
  upstream = await startMockUpstream();
  gemini = await startMockGemini();
  gw = await startGateway({ providers: { oai: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false }, gem: mockGeminiProvider(gemini) } });
  // A default client: message threads on, as every user of the SDK has them.
  anthropic = new Anthropic({ baseURL: gw.url, apiKey: 'client-key', maxRetries: 0 });
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

describe('the tool runner on its default message thread', () => {
  it.each([false, true])('sends an OpenAI-format upstream the whole conversation with the tool results (stream: %s)', async (stream) => {
    const final = await anthropic.beta.messages.toolRunner({ model: 'oai/mock-small', max_tokens: 200, tools: [weather, time], messages: [{ role: 'user', content: 'call both' }], stream }).runUntilDone();
    expect(final.content).toEqual([expect.objectContaining({ type: 'text' })]);

    const chats = upstream.requests.filter((r) => r.path === '/v1/chat/completions');
    const withResults = chats.find((r) => (r.body?.messages as Array<{ role: string }>).some((m) => m.role === 'tool'));
    const messages = withResults?.body?.messages as Array<{ role: string; content: unknown; tool_calls?: unknown[] }>;
    // Before a fix: [tool, tool] — no prompt, no assistant turn that asked for the tools, no tools.
    expect(messages.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'tool']);
    expect(messages[0]?.content).toBe('call both');
    expect(messages[1]?.tool_calls).toHaveLength(2);
    expect(withResults?.body?.tools).toHaveLength(2);
  });

  it('completes a tool loop on Gemini', async () => {
    // Before a fix: BadRequestError 400 "gem needs the function name of every tool result:
    // messages[0].tool_call_id does not match a tool call of an earlier assistant message."
    const final = await anthropic.beta.messages.toolRunner({ model: 'gem/gemini-mock-flash', max_tokens: 200, tools: [weather, time], messages: [{ role: 'user', content: 'call both' }] }).runUntilDone();
    const text = final.content.flatMap((b) => (b.type === 'text' ? [b.text] : [])).join('');
    expect(text).toContain('get_weather=');
    expect(text).toContain('sunny in Paris');
  });
});
