/**
 * Anthropic's error `details` are dropped on the way through the gateway, so the SDK cannot tell
 * one 400/404 from another, and the tool runner cannot recover a lost message thread.
 *
 * Before its fix, what the user saw: an Anthropic upstream answers an error whose body carries
 * `error.details.error_code` (@anthropic-ai/sdk 1.12, core/error.js: `APIError.errorCode` and
 * `.details` are read from `body.error.details`; core/error-classes.js picks the error's class by it,
 * e.g. `404 thread_not_found` → ThreadNotFoundError). Through the gateway the client gets the same
 * status and type but no `details`: `errorCode` is null and the error is a plain NotFoundError.
 * The tool runner, which runs over a message thread by default, replays the whole conversation under
 * a new thread when a `continue` turn gets `thread_not_found` (lib/internal/threads/ThreadState.js
 * `recoversFrom` → `replayReason`, which reads `error.error.error.details.error_code`); through the
 * gateway it fails instead. A thread is lost whenever the gateway sends a `continue` to another
 * Anthropic deployment than the one that made it (fallback, round-robin over several keys), or the
 * thread expired.
 *
 * Root cause: upstreamHttpError/readErrorBody (sdk/provider-kit/upstream-errors.ts) keep only
 * message, type, code, param (and Azure's innererror) of the upstream's error, and
 * toAnthropicErrorBody (plugins/anthropic/protocol/errors.ts) writes no `upstreamFields` at all,
 * where toOpenAIErrorBody (core/errors.ts) does.
 *
 * Right behaviour: Anthropic's `error.details` reaches an Anthropic client as it came.
 */
import Anthropic from '@anthropic-ai/sdk';
import { betaZodTool } from '@anthropic-ai/sdk/helpers/beta/zod';
import { z } from 'zod';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { anthropicMessage } from '../support/anthropic-wire.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let gw: RunningGateway;
let client: Anthropic;
const messagesSent = () => upstream.requests.filter((r) => r.path === '/v1/messages');

const threadNotFound = {
  status: 404,
  body: { type: 'error', error: { type: 'not_found_error', message: 'No usable Thread state was found for previous_message_id.', details: { error_code: 'thread_not_found' } }, request_id: 'req_011' },
};

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({ providers: { claude: { type: 'anthropic', apiKey: 'k', baseURL: upstream.baseURL, listModels: false } } });
  client = new Anthropic({ baseURL: gw.url, apiKey: 'client', maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});
beforeEach(() => upstream.reset());

describe("Anthropic's error details", () => {
  it('reach the SDK, which names the error by its error_code', async () => {
    upstream.enqueue(threadNotFound);
    const error = (await client.messages.create({ model: 'claude/claude-test', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e)) as InstanceType<typeof Anthropic.APIError>;
    expect(error).toBeInstanceOf(Anthropic.NotFoundError);
    expect(error.type).toBe('not_found_error');
    // Before a fix: null and null.
    expect(error.errorCode).toBe('thread_not_found');
    expect(error.details).toEqual({ error_code: 'thread_not_found' });
  });

  it('let the tool runner replay its conversation when the thread was lost', async () => {
    const weather = betaZodTool({ name: 'get_weather', description: 'Weather', inputSchema: z.object({ city: z.string() }), run: async ({ city }) => `sunny in ${city}` });
    upstream.enqueue(
      { body: anthropicMessage([{ toolUse: { id: 'toolu_01', name: 'get_weather', input: { city: 'Paris' } } }], { id: 'msg_turn1' }) },
      threadNotFound,
      { body: anthropicMessage([{ text: 'It is sunny in Paris.' }], { id: 'msg_turn2' }) },
    );
    // Before a fix: rejects with "404 No usable Thread state was found ...".
    const final = await client.beta.messages.toolRunner({ model: 'claude/claude-test', max_tokens: 100, tools: [weather], messages: [{ role: 'user', content: 'Weather in Paris?' }] }).runUntilDone();
    expect(final.content).toEqual([expect.objectContaining({ type: 'text', text: 'It is sunny in Paris.' })]);
    const [first, lost, replay] = messagesSent();
    expect(first?.body?.thread).toEqual({ type: 'create' });
    expect(lost?.body?.thread).toEqual({ type: 'continue', previous_message_id: 'msg_turn1' });
    // The replay: a new thread with the whole conversation.
    expect(replay?.body?.thread).toEqual({ type: 'create' });
    expect((replay?.body?.messages as unknown[]).length).toBe(3);
  });
});
