/**
 * A text-completions stream to a host that serves `/completions` and refuses `stream_options`
 * (Azure OpenAI before api-version 2024-09-01-preview). Before its fix (found by a review of the
 * kernel's usage ask): the front-end put the ask for the stream's usage in the client's body passed
 * through, where nothing knew it was the gateway's and not the client's, so such a host's 400
 * reached a client that never asked for usage, while the same host served chat streams (whose ask
 * is the kernel's hint). Now the front-end names it in `NativeRequest.hints` and the host is sent the
 * body again without it (a host without `/completions` gets the request translated to chat, where
 * the ask is the kernel's hint, no longer the front-end's); a client that asked for usage itself still hears the refusal. The official
 * `openai` client, real sockets, a mock OpenAI-format host.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { mockProvider, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let gw: RunningGateway;
let openai: OpenAI;
const refusal = { status: 400, body: { error: { message: 'Unrecognized request argument supplied: stream_options', type: 'invalid_request_error', param: null, code: null } } };

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({
    providers: {
      // Serves /completions: the client's body goes as written (native pass-through).
      host: mockProvider(upstream, { type: 'openai-compatible', completions: true }),
      // Does not: the request goes translated to chat.
      chat: mockProvider(upstream, { type: 'openai-compatible' }),
    },
  });
  openai = new OpenAI({ baseURL: gw.baseURL, apiKey: 'client', maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});
beforeEach(() => upstream.reset());

const chatBodies = () => upstream.requests.filter((request) => request.path.endsWith('/chat/completions')).map((request) => request.body);
const completionBodies = () => upstream.requests.filter((request) => request.path.endsWith('/completions') && !request.path.endsWith('/chat/completions')).map((request) => request.body);

it('a stream the client asked no usage of is sent again without the ask, and the answer comes', async () => {
  upstream.enqueue(refusal);
  const stream = await openai.completions.create({ model: 'host/m', stream: true, prompt: 'one two' });
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.text ?? '';
  expect(text).toBe('echo: one two');
  expect(completionBodies().map((body) => body?.stream_options)).toEqual([{ include_usage: true }, undefined]);
});

it('so is one translated to chat, to a host without /completions', async () => {
  upstream.enqueue(refusal);
  const stream = await openai.completions.create({ model: 'chat/m', stream: true, prompt: 'three four' });
  let text = '';
  for await (const chunk of stream) text += chunk.choices[0]?.text ?? '';
  expect(text).toBe('echo: three four');
  expect(chatBodies().map((body) => body?.stream_options)).toEqual([{ include_usage: true }, undefined]);
});

it('a client that asked for usage itself hears the refusal', async () => {
  upstream.enqueue(refusal);
  const error = await openai.completions.create({ model: 'host/m', stream: true, stream_options: { include_usage: true }, prompt: 'one' }).catch((caught: unknown) => caught);
  expect(error).toBeInstanceOf(OpenAI.BadRequestError);
  expect(completionBodies()).toHaveLength(1);
});
