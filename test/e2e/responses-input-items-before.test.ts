/**
 * Before its fix, `GET /v1/responses/{id}/input_items?before=<item id>` ignored `before`: a client
 * paging back (OpenAI's list params are after, before, limit, order, include; `before` asks for the
 * items that come before that one in the listed order, the previous page) got the first page again,
 * with the cursor item itself in it, so a "previous page" button showed the same items as the
 * first page and never reached the one before it.
 *
 * Right behaviour: the `limit` items just before the cursor in the listed order (asc or desc), with
 * `first_id`/`last_id` naming that page's ends and `has_more` saying whether there are items before
 * it still (the direction the client is paging in). An unknown `before` id is ignored, as an
 * unknown `after` id is: the first page.
 *
 * openai-node 6.x types `CursorPageParams` with `after` and `limit` only; it sends any other query
 * key as written, so `before` goes through a cast.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let gw: RunningGateway;
let client: OpenAI;
/** The response's input items, oldest first. */
let ids: string[];
let responseId: string;

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({ providers: { chat: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false } } });
  client = new OpenAI({ baseURL: gw.baseURL, apiKey: 'client-key', maxRetries: 0 });
  const input = ['one', 'two', 'three', 'four', 'five'].map((text) => ({ role: 'user' as const, content: text }));
  const response = await client.responses.create({ model: 'chat/mock-small', input });
  responseId = response.id;
  const all = await client.responses.inputItems.list(responseId, { order: 'asc' });
  ids = all.data.map((item) => item.id);
  expect(ids).toHaveLength(5);
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

interface PageBody {
  data: Array<{ id: string }>;
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}

/** One page through the SDK, as the wire JSON (the SDK's page object keeps only `data` and `has_more` public). */
async function page(query: { before?: string; after?: string; limit?: number; order?: 'asc' | 'desc' }): Promise<PageBody> {
  const result = await client.responses.inputItems.list(responseId, query as OpenAI.Responses.InputItemListParams);
  return (result as unknown as { body: PageBody }).body;
}

const summary = (body: PageBody) => ({ data: body.data.map((item) => item.id), first_id: body.first_id, last_id: body.last_id, has_more: body.has_more });

describe('input_items with a before cursor (the previous page)', () => {
  it('in ascending order: the items just before the cursor, has_more while earlier ones remain', async () => {
    const [a, b, c, d, e] = ids as [string, string, string, string, string];
    expect(summary(await page({ order: 'asc', before: e, limit: 2 }))).toEqual({ data: [c, d], first_id: c, last_id: d, has_more: true });
    expect(summary(await page({ order: 'asc', before: c, limit: 2 }))).toEqual({ data: [a, b], first_id: a, last_id: b, has_more: false });
    expect(summary(await page({ order: 'asc', before: b, limit: 20 }))).toEqual({ data: [a], first_id: a, last_id: a, has_more: false });
    expect(summary(await page({ order: 'asc', before: a }))).toEqual({ data: [], first_id: null, last_id: null, has_more: false });
  });

  it('in descending order (the default): before means newer', async () => {
    const [a, b, c, d, e] = ids as [string, string, string, string, string];
    expect(summary(await page({ before: a, limit: 2 }))).toEqual({ data: [c, b], first_id: c, last_id: b, has_more: true });
    expect(summary(await page({ order: 'desc', before: c, limit: 2 }))).toEqual({ data: [e, d], first_id: e, last_id: d, has_more: false });
  });

  it('with after and before together: the items between them', async () => {
    const [a, b, c, d, e] = ids as [string, string, string, string, string];
    expect(summary(await page({ order: 'asc', after: a, before: e, limit: 2 }))).toEqual({ data: [c, d], first_id: c, last_id: d, has_more: true });
    expect(summary(await page({ order: 'asc', after: b, before: e }))).toEqual({ data: [c, d], first_id: c, last_id: d, has_more: false });
  });

  it('ignores an unknown before id, as it does an unknown after id', async () => {
    const first = summary(await page({ order: 'asc', limit: 2 }));
    expect(first).toEqual({ data: ids.slice(0, 2), first_id: ids[0], last_id: ids[1], has_more: true });
    expect(summary(await page({ order: 'asc', limit: 2, after: 'msg_unknown' }))).toEqual(first);
    expect(summary(await page({ order: 'asc', limit: 2, before: 'msg_unknown' }))).toEqual(first);
  });
});
