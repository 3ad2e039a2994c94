/**
 * `anthropic.models.list()` / `anthropic.models.retrieve()` (the real @anthropic-ai/sdk) against the
 * gateway's `GET /v1/models` and `GET /v1/models/{id}`.
 *
 * Before its fix, what the user saw: the Anthropic SDK (which always sends `anthropic-version`) gets OpenAI's
 * model objects (`{id, object: 'model', created, owned_by}`) and OpenAI's list (`{object, data}`).
 * Every field the SDK's `ModelInfo` type promises is missing: `type` is undefined,
 * `display_name` is undefined (a model picker shows "undefined"), `created_at` is undefined
 * (`new Date(m.created_at)` is Invalid Date), and the page has no `first_id`/`last_id`. An unknown
 * model is answered with OpenAI's error body, so `err.error.error.type` (Anthropic's shape) is
 * undefined.
 *
 * Right behaviour: when the request carries `anthropic-version` (Anthropic's clients send it; OpenAI's
 * never do), answer in Anthropic's format, as https://platform.claude.com/docs/en/api/models
 * documents it and node_modules/@anthropic-ai/sdk/resources/models.d.ts types it:
 * `ModelInfo = { id, created_at (RFC 3339), display_name, type: 'model' }`, the list
 * `{ data, has_more, first_id, last_id }` (node_modules/@anthropic-ai/sdk/core/pagination.js `Page`),
 * and errors as `{ type: 'error', error: { type, message } }` (as /v1/messages/count_tokens already does).
 */
import Anthropic from '@anthropic-ai/sdk';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let gw: RunningGateway;
let anthropic: Anthropic;

beforeAll(async () => {
  upstream = await startMockUpstream({ models: ['mock-small', 'meta-llama/llama-3-70b'] });
  gw = await startGateway({
    providers: { oai: { type: 'openai-compatible', baseURL: upstream.baseURL } },
    models: { stack: { targets: ['oai/mock-small'] } },
  });
  anthropic = new Anthropic({ baseURL: gw.url, apiKey: 'client', maxRetries: 0 });
  for (let i = 0; i < 100 && (await fetch(`${gw.url}/ready`)).status !== 200; i++) await new Promise((r) => setTimeout(r, 20));
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

const isRfc3339 = (value: unknown) => typeof value === 'string' && /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(value);

it("anthropic.models.list() gets Anthropic's ModelInfo objects and page fields", async () => {
  const page = await anthropic.models.list();
  const ids = page.data.map((m) => m.id);
  expect(ids).toEqual(expect.arrayContaining(['oai/mock-small', 'oai/meta-llama/llama-3-70b', 'stack']));
  for (const model of page.data) {
    expect(model.type).toBe('model');
    expect(typeof model.display_name).toBe('string');
    expect(isRfc3339(model.created_at)).toBe(true);
  }
  // The page's own fields, as Anthropic's list answers them.
  const body = (await anthropic.models.list().asResponse().then((r) => r.json())) as Record<string, unknown>;
  expect(body).toMatchObject({ has_more: false, first_id: ids[0], last_id: ids.at(-1) });
});

it('anthropic.models.retrieve() of a namespaced id with a slash gets a ModelInfo', async () => {
  const model = await anthropic.models.retrieve('oai/meta-llama/llama-3-70b');
  expect(model.id).toBe('oai/meta-llama/llama-3-70b');
  expect(model.type).toBe('model');
  expect(typeof model.display_name).toBe('string');
  expect(isRfc3339(model.created_at)).toBe(true);
});

it("anthropic.models.retrieve() of an unknown model is a NotFoundError with Anthropic's error body", async () => {
  const error = (await anthropic.models.retrieve('oai/nope').catch((e: unknown) => e)) as InstanceType<typeof Anthropic.APIError>;
  expect(error).toBeInstanceOf(Anthropic.NotFoundError);
  expect(error.error).toMatchObject({ type: 'error', error: { type: 'not_found_error' } });
});

it('pages as Anthropic does: the SDK walks every model one at a time, and back', async () => {
  const all = (await anthropic.models.list({ limit: 1000 })).data.map((m) => m.id);
  const walked: string[] = [];
  for await (const model of anthropic.models.list({ limit: 1 })) walked.push(model.id);
  expect(walked).toEqual(all);
  const last = all.at(-1)!;
  const before = (await anthropic.models.list({ limit: 2, before_id: last })) as unknown as { data: Array<{ id: string }>; has_more: boolean };
  expect(before.data.map((m) => m.id)).toEqual(all.slice(-3, -1));
  expect(before.has_more).toBe(all.length > 3);
  // An OpenAI client (no anthropic-version) still gets OpenAI's list.
  const openai = (await fetch(`${gw.url}/v1/models`).then((r) => r.json())) as { object: string };
  expect(openai.object).toBe('list');
});
