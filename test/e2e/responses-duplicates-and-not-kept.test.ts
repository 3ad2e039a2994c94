/**
 * Two ways a stored conversation went wrong, through real sockets with the official `openai` client.
 *
 * Before their fix (a review of stored responses at scale):
 * - an item id named twice (the previous response's output sent again beside
 *   `previous_response_id`, or one stored item referred to twice) was answered 200: the upstream
 *   got the turn twice, and the SDK's paging of `input_items` asked for the same page for ever
 *   (its cursor, the id, found at the first copy). OpenAI refuses such an input with a 400.
 * - a response whose conversation passed `responses.maxStoredBytes` was answered and not kept, and
 *   the follow-up naming it was told only that an id the gateway had just handed out was not found.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let gw: RunningGateway;
let client: OpenAI;

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({
    providers: { chat: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false } },
    responses: { maxStoredBytes: 64 * 1024 },
  });
  client = new OpenAI({ baseURL: gw.baseURL, apiKey: 'client-key', maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

const chatCalls = () => upstream.requests.filter((r) => r.path.endsWith('/chat/completions')).length;

describe('an item named twice', () => {
  it('is refused when the previous response’s output is sent again beside previous_response_id', async () => {
    const first = await client.responses.create({ model: 'chat/m', input: 'one' });
    const before = chatCalls();
    const again = client.responses.create({ model: 'chat/m', previous_response_id: first.id, input: [...(first.output as never[]), { role: 'user', content: 'two' }] });
    await expect(again).rejects.toMatchObject({ status: 400, error: { type: 'invalid_request_error', param: 'input', message: expect.stringMatching(/^Duplicate item found with id \S+\. Remove duplicate items from your input and try again\.$/) } });
    expect(chatCalls(), 'nothing sent upstream').toBe(before);
  });

  it('is refused when one stored item is referred to twice', async () => {
    const first = await client.responses.create({ model: 'chat/m', input: 'hello' });
    const id = first.output[0]!.id!;
    const twice = client.responses.create({ model: 'chat/m', input: [{ type: 'item_reference', id }, { type: 'item_reference', id }, { role: 'user', content: 'go on' }] as never });
    await expect(twice).rejects.toMatchObject({ status: 400, error: { param: 'input', message: expect.stringContaining(`Duplicate item found with id ${id}.`) } });
  });
});

describe('a conversation past maxStoredBytes', () => {
  it('is answered, and a follow-up naming it is told it was not kept and what to do', async () => {
    const big = await client.responses.create({ model: 'chat/m', input: `read this: ${'x'.repeat(80 * 1024)}` });
    expect(big.id).toMatch(/^resp_/);
    const follow = client.responses.create({ model: 'chat/m', previous_response_id: big.id, input: 'and then?' });
    await expect(follow).rejects.toMatchObject({
      status: 404,
      error: { code: 'previous_response_not_found', param: 'previous_response_id', message: expect.stringMatching(/answered but not kept.*responses\.maxStoredBytes.*without previous_response_id/) },
    });
    // An id it never answered is still plainly not found.
    await expect(client.responses.create({ model: 'chat/m', previous_response_id: 'resp_never', input: 'x' })).rejects.toMatchObject({ status: 404, error: { message: "Previous response with id 'resp_never' not found." } });
  });
});
