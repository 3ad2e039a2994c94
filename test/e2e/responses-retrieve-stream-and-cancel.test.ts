/**
 * What a gateway that cannot stream a stored response, nor cancel one, must answer the official
 * `openai` client (node_modules/openai 6.49, `responses.retrieve(id, { stream: true })` and
 * `responses.cancel(id)`), for a translated upstream (mockProvider) and a native one (type 'openai').
 *
 * 1. `retrieve(id, { stream: true })` sends `GET /v1/responses/{id}?stream=true` and reads the
 *    answer as server-sent events (OpenAI's API reference, "Get a model response": `stream` "If set
 *    to true, the model response data will be streamed to the client ... using server-sent
 *    events"; `starting_after` resumes after an event). The gateway ignores `stream` and answers
 *    200 with the Response as JSON; the SDK parses that body as an event stream, finds no event in
 *    it, and the user's `for await` loop ends at once without an event and without an error: a
 *    resumed stream silently "finishes" with nothing. docs/responses-api.md lists
 *    `?stream=true` as not supported, so the gateway should say so: a 400 invalid_request_error
 *    naming `stream`, which the SDK throws as BadRequestError (or replay the stored response as
 *    its events, ending with `response.completed`).
 *
 * 2. `cancel(id)` sends `POST /v1/responses/{id}/cancel`. The gateway has no such route and
 *    answers the kernel's 404 `unknown_url` ("Unknown path"), which the SDK throws as
 *    NotFoundError, for a response that `retrieve` returns at once: the client is told the
 *    response does not exist. OpenAI ("Cancel a response": "Only responses created with the
 *    background parameter set to true can be cancelled") refuses a synchronous response with a
 *    400 invalid_request_error ("Cannot cancel a synchronous response.", as vLLM's compatible
 *    server also answers); the gateway never runs a background response itself, so every stored
 *    response it owns is synchronous: a 400 for the caller's own response, and the usual 404
 *    `response_not_found` for an unknown id or another key's.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { mockProvider, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

const ADMIN = 'review-store-admin-key-0123456789';
let upstream: MockUpstream;
let gw: RunningGateway;
let owner: OpenAI;
let other: OpenAI;

const newKey = async (name: string) => {
  const res = await fetch(`${gw.url}/admin/keys`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ name }) });
  return ((await res.json()) as { secret: string }).secret;
};

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({
    providers: { mock: mockProvider(upstream), openai: { type: 'openai', apiKey: 'sk-upstream', baseURL: upstream.baseURL, listModels: false } },
    plugins: [auth({ adminKey: ADMIN })],
  });
  owner = new OpenAI({ baseURL: gw.baseURL, apiKey: await newKey('owner'), maxRetries: 0 });
  other = new OpenAI({ baseURL: gw.baseURL, apiKey: await newKey('other'), maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

describe.each(['mock/mock-small', 'openai/gpt-x'])('a stored response of %s', (model) => {
  it('retrieve with stream: true is refused (400) or replayed, never an empty stream', async () => {
    const created = await owner.responses.create({ model, input: 'hello' });
    const outcome = await owner.responses.retrieve(created.id, { stream: true }).then(
      async (stream) => {
        const events: string[] = [];
        for await (const event of stream) events.push(event.type);
        return events;
      },
      (error: unknown) => error,
    );
    if (Array.isArray(outcome)) {
      // Replaying is right too, but then the stream holds the response, to its end.
      expect(outcome, 'the SDK read no event at all: the stream ended silently').toContain('response.completed');
    } else {
      expect(outcome).toBeInstanceOf(OpenAI.BadRequestError);
      expect((outcome as InstanceType<typeof OpenAI.APIError>).error).toMatchObject({ type: 'invalid_request_error', param: 'stream' });
    }
  });

  it('cancel of the caller’s own (synchronous) response is a 400, not “Unknown path”', async () => {
    const created = await owner.responses.create({ model, input: 'hello' });
    // It exists: retrieve finds it.
    expect((await owner.responses.retrieve(created.id)).id).toBe(created.id);
    const error = await owner.responses.cancel(created.id).then(
      () => undefined,
      (e: unknown) => e as InstanceType<typeof OpenAI.APIError>,
    );
    expect(error?.status).toBe(400);
    expect(error?.error).toMatchObject({ type: 'invalid_request_error' });
  });

  it('cancel of another key’s response, or an unknown id, is the 404 of a missing response', async () => {
    const created = await owner.responses.create({ model, input: 'hello' });
    for (const attempt of [other.responses.cancel(created.id), owner.responses.cancel('resp_does_not_exist')]) {
      const error = await attempt.then(
        () => undefined,
        (e: unknown) => e as InstanceType<typeof OpenAI.APIError>,
      );
      expect(error?.status).toBe(404);
      expect(error?.error).toMatchObject({ type: 'not_found_error', code: 'response_not_found' });
    }
  });
});
