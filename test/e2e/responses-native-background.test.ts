/**
 * `background: true` through a native OpenAI upstream (type 'openai'), which docs/responses-api.md
 * says "passes through to OpenAI only". OpenAI's guide (Background mode,
 * https://developers.openai.com/docs/guides/background): the create call answers at once with
 * `status: "queued"`, and the client polls `GET /v1/responses/{id}` ("Keep polling while the
 * request is in the queued or in_progress state") and may `POST /v1/responses/{id}/cancel`.
 *
 * Before its fix, what the user saw: the gateway stores the `queued` snapshot of the create call as if it were
 * the finished response (plugins/responses/api/responses.ts `renderJson` → `save`, which keeps any
 * status) and answers every `responses.retrieve` from that snapshot, without asking OpenAI: the
 * poll loop of OpenAI's guide never ends (status stays `queued`, output empty), although OpenAI
 * finished long ago (and billed it). `responses.cancel` is a 404 "Unknown path", so the running
 * job cannot be stopped either, and a follow-up by `previous_response_id` is expanded with the
 * snapshot's empty output.
 *
 * Right: either refuse `background: true` (a 400 naming `background`, as for every translated
 * provider), or serve a background response's retrieve and cancel from the upstream that runs it;
 * never serve an unfinished snapshot as the stored response.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startRawUpstream, type RawUpstream } from '../support/raw-upstream.js';
import { responsesObject } from '../support/responses-wire.js';

const ID = 'resp_background_0001';
/** OpenAI, as it answers a background response: queued at creation, completed when polled later. */
const queued = { ...responsesObject([], { id: ID, model: 'gpt-x' }), status: 'queued', background: true, output: [], usage: null };
const completed = { ...responsesObject([{ text: 'the long answer' }], { id: ID, model: 'gpt-x' }), background: true };

let upstream: RawUpstream;
let gw: RunningGateway;
let client: OpenAI;

beforeAll(async () => {
  upstream = await startRawUpstream((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '').split('?')[0];
    const json = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'POST' && path === '/v1/responses') return json(200, queued);
    if (req.method === 'GET' && path === `/v1/responses/${ID}`) return json(200, completed);
    if (req.method === 'POST' && path === `/v1/responses/${ID}/cancel`) return json(200, { ...completed, status: 'cancelled', output: [] });
    return json(404, { error: { message: 'no route', type: 'invalid_request_error', code: null, param: null } });
  });
  gw = await startGateway({ providers: { openai: { type: 'openai', apiKey: 'sk-upstream', baseURL: upstream.baseURL, listModels: false } } });
  client = new OpenAI({ baseURL: gw.baseURL, apiKey: 'unused', maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

describe('a background response on a native OpenAI upstream', () => {
  it('is refused, or polled to its end as OpenAI’s guide does: never a queued snapshot for ever', async () => {
    const created = await client.responses.create({ model: 'openai/gpt-x', input: 'write a long novel', background: true }).catch((e: unknown) => e);
    if (created instanceof OpenAI.APIError) {
      expect(created).toBeInstanceOf(OpenAI.BadRequestError);
      expect(created.error).toMatchObject({ param: 'background' });
      return;
    }
    const first = created as OpenAI.Responses.Response;
    expect(first.status).toBe('queued');
    // OpenAI's guide: poll while queued or in progress (OpenAI has finished by now).
    let polled = first;
    for (let i = 0; i < 5 && (polled.status === 'queued' || polled.status === 'in_progress'); i++) polled = await client.responses.retrieve(first.id);
    expect(polled.status, 'the gateway keeps answering its stored queued snapshot').toBe('completed');
    expect(polled.output_text).toBe('the long answer');
  });

  it('can be cancelled while it runs (or was refused to begin with)', async () => {
    const created = await client.responses.create({ model: 'openai/gpt-x', input: 'write another novel', background: true }).catch((e: unknown) => e);
    if (created instanceof OpenAI.BadRequestError) return;
    const cancelled = await client.responses.cancel((created as OpenAI.Responses.Response).id).catch((e: unknown) => e);
    expect(cancelled).not.toBeInstanceOf(OpenAI.APIError);
    expect((cancelled as OpenAI.Responses.Response).status).toBe('cancelled');
  });
});
