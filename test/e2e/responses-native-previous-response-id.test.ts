/**
 * A follow-up by `previous_response_id` served by a native OpenAI upstream (type 'openai').
 *
 * The gateway expands the id itself and sends OpenAI the whole conversation as `input`, without
 * `previous_response_id` (the id is the gateway's, docs/responses-api.md). OpenAI then answers a
 * Response with `previous_response_id: null`, and the gateway hands those bytes to the client and
 * stores them as they are: `create(...).previous_response_id` and `retrieve(id).previous_response_id`
 * are null although the client continued a conversation, while the very same request served by
 * a translated provider answers the id (plugins/responses/protocol/from-chat-response.ts
 * `responseShell`). A client that walks a conversation back through `previous_response_id`
 * (OpenAI's Response object: "The unique ID of the previous response to the model. Use this to
 * create multi-turn conversations.") stops at the first turn OpenAI served.
 *
 * Right: the Response the client gets and the one stored name the id the client sent, whichever
 * provider served it, as OpenAI itself answers when it resolves `previous_response_id`.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { mockProvider, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let gw: RunningGateway;
let client: OpenAI;

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({ providers: { chat: mockProvider(upstream), openai: { type: 'openai', apiKey: 'sk-upstream', baseURL: upstream.baseURL, listModels: false } } });
  client = new OpenAI({ baseURL: gw.baseURL, apiKey: 'unused', maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

describe('a follow-up answered natively by OpenAI', () => {
  it('names the previous response, as the translated answer does', async () => {
    const first = await client.responses.create({ model: 'chat/mock-small', input: 'my name is Ada' });
    const translated = await client.responses.create({ model: 'chat/mock-small', previous_response_id: first.id, input: 'what is my name?' });
    expect(translated.previous_response_id).toBe(first.id);

    const native = await client.responses.create({ model: 'openai/gpt-x', previous_response_id: first.id, input: 'what is my name?' });
    expect(native.output_text).toBe('echo: what is my name?');
    expect(native.previous_response_id, 'the answer').toBe(first.id);
    expect((await client.responses.retrieve(native.id)).previous_response_id, 'the stored response').toBe(first.id);
  });
});
