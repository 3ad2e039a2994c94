/**
 * `safety_identifier` on `/v1/chat/completions` (and on `/v1/responses`) to an `anthropic` upstream.
 *
 * Before its fix, what the user saw: nothing, which is the problem: the end-user id an application sends for abuse
 * detection never reaches Anthropic, so Anthropic attributes abuse to the whole organisation's key.
 * OpenAI replaced `user` with `safety_identifier` (openai-node `ChatCompletionCreateParams.user`:
 * "@deprecated This field is being replaced by `safety_identifier` and `prompt_cache_key`";
 * `safety_identifier`: "A stable identifier used to help detect users of your application that may be
 * violating OpenAI's usage policies"). The gateway maps the deprecated `user` to Anthropic's
 * `metadata.user_id` ("An external identifier for the user who is associated with the request ...
 * Anthropic may use this id to help detect abuse", @anthropic-ai/sdk `Metadata.user_id`) but lists
 * `safety_identifier`, the field current clients send, as ignored
 * (plugins/anthropic/protocol/from-openai-request.ts, IGNORED).
 *
 * Right behaviour: `safety_identifier` becomes `metadata.user_id` too (it wins over `user` when
 * both are sent, being the field OpenAI means for exactly this).
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let gw: RunningGateway;
let openai: OpenAI;
const sent = () => upstream.requests.find((r) => r.path === '/v1/messages')?.body as Record<string, unknown>;

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({ providers: { claude: { type: 'anthropic', apiKey: 'sk-ant', baseURL: upstream.baseURL, listModels: false } } });
  openai = new OpenAI({ baseURL: gw.baseURL, apiKey: 'client', maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});
beforeEach(() => upstream.reset());

it('chat: safety_identifier reaches Anthropic as metadata.user_id', async () => {
  await openai.chat.completions.create({ model: 'claude/claude-test', safety_identifier: 'user-hash-42', messages: [{ role: 'user', content: 'hi' }] });
  expect(sent().metadata).toEqual({ user_id: 'user-hash-42' });
});

it('responses: safety_identifier reaches Anthropic as metadata.user_id', async () => {
  await openai.responses.create({ model: 'claude/claude-test', safety_identifier: 'user-hash-42', input: 'hi' });
  expect(sent().metadata).toEqual({ user_id: 'user-hash-42' });
});
