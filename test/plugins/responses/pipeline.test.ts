/**
 * `/v1/responses` runs through the same pipeline as every API, over real sockets with the official
 * client: gateway keys (and stored responses private to the key that made them), model
 * allow-lists, retry and fallback before the first byte (from a native target to a translated
 * one), and usage records naming the endpoint.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { auth, retry, usageLogger, type UsageRecord } from '../../../index.js';
import { startGateway, type RunningGateway } from '../../support/gateway.js';
import { mockProvider, startMockUpstream, type MockUpstream } from '../../support/mock-upstream.js';

const ADMIN = 'responses-admin-key-0123456789';
const dir = mkdtempSync(join(tmpdir(), 'gw-responses-'));
let upstream: MockUpstream;
let gw: RunningGateway;
let alice: string;
let bob: string;
let aliceId: string;
let narrow: string;

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({
    usageLog: `sqlite://${join(dir, 'usage.sqlite')}`,
    providers: {
      chat: mockProvider(upstream),
      openai: { type: 'openai', apiKey: 'sk-up', baseURL: upstream.baseURL, listModels: false },
      claude: { type: 'anthropic', apiKey: 'sk-ant', baseURL: upstream.baseURL, listModels: false },
    },
    models: { smart: { targets: ['openai/gpt-x', 'claude/claude-test'] } },
    plugins: [auth({ adminKey: ADMIN }), retry({ attempts: 1, backoff: { initialMs: 10, jitter: 'none' } }), usageLogger()],
  });
  const create = async (spec: Record<string, unknown>) => {
    const res = await fetch(`${gw.url}/admin/keys`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify(spec) });
    return (await res.json()) as { id: string; secret: string };
  };
  ({ secret: alice, id: aliceId } = await create({ name: 'alice' }));
  ({ secret: bob } = await create({ name: 'bob' }));
  ({ secret: narrow } = await create({ name: 'narrow', models: ['chat/*'] }));
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => upstream.reset());

const as = (key: string) => new OpenAI({ baseURL: gw.baseURL, apiKey: key, maxRetries: 0 });

describe('keys', () => {
  it('needs a gateway key, and holds it to its models', async () => {
    const none = await fetch(`${gw.baseURL}/responses`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model: 'chat/mock-small', input: 'x' }) });
    expect(none.status).toBe(401);
    expect(await none.json()).toMatchObject({ error: { code: 'missing_api_key' } });
    expect((await fetch(`${gw.baseURL}/responses/resp_x`)).status).toBe(401);
    const refused = await as(narrow).responses.create({ model: 'claude/claude-test', input: 'x' }).catch((e: unknown) => e as InstanceType<typeof OpenAI.APIError>);
    expect(refused).toMatchObject({ status: 403, error: { code: 'model_not_allowed', param: 'model' } });
    expect(upstream.requests).toHaveLength(0);
  });

  it('keeps a stored response private to the key that made it', async () => {
    const mine = await as(alice).responses.create({ model: 'chat/mock-small', input: 'secret plans' });
    expect((await as(alice).responses.retrieve(mine.id)).id).toBe(mine.id);
    await expect(as(bob).responses.retrieve(mine.id)).rejects.toMatchObject({ status: 404 });
    await expect(as(bob).responses.inputItems.list(mine.id)).rejects.toMatchObject({ status: 404 });
    await expect(as(bob).responses.delete(mine.id)).rejects.toMatchObject({ status: 404 });
    const followUp = await as(bob).responses.create({ model: 'chat/mock-small', previous_response_id: mine.id, input: 'tell me' }).catch((e: unknown) => e as InstanceType<typeof OpenAI.APIError>);
    expect(followUp).toMatchObject({ status: 404, error: { param: 'previous_response_id' } });
    const reference = await as(bob).responses.create({ model: 'chat/mock-small', input: [{ type: 'item_reference', id: String(mine.output[0]?.id) }] }).catch((e: unknown) => e as InstanceType<typeof OpenAI.APIError>);
    expect(reference).toMatchObject({ status: 404, error: { param: 'input[0]' } });
    // Still there for its owner.
    expect((await as(alice).responses.retrieve(mine.id)).output_text).toBe('echo: secret plans');
  });
});

describe('routing', () => {
  it('falls back before the first byte from a native target to a translated one', async () => {
    upstream.enqueue({ status: 500, body: { error: { message: 'native down' } } });
    const result = await as(alice)
      .responses.create({ model: 'smart', input: 'hi', tools: [{ type: 'web_search' }], stream: true })
      .withResponse();
    const events: string[] = [];
    for await (const event of result.data) events.push(event.type);
    expect(events.at(-1)).toBe('response.completed');
    expect(result.response.headers.get('x-gateway-provider')).toBe('claude');
    expect(result.response.headers.get('x-gateway-fallback')).toBe('true');
    // The hosted tool went to OpenAI as written, and was left out (and named) for Anthropic.
    expect(result.response.headers.get('x-gateway-dropped')).toBe('tools.0');
    expect(upstream.requests.map((r) => r.path)).toEqual(['/v1/responses', '/v1/messages']);
    expect(upstream.requests[0]?.body).toMatchObject({ tools: [{ type: 'web_search' }] });
    expect(upstream.requests[1]?.body).not.toHaveProperty('tools');
  });
});

describe('usage records', () => {
  it('records a response with endpoint "responses", its key, provider and tokens', async () => {
    const result = await as(alice).responses.create({ model: 'openai/gpt-x', input: 'count me' }).withResponse();
    const requestId = result.response.headers.get('x-request-id');
    const logs = async () => ((await (await fetch(`${gw.url}/admin/logs?requestId=${requestId}`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as { data: UsageRecord[] }).data;
    await expect.poll(async () => (await logs()).length, { timeout: 5000 }).toBe(1);
    const [record] = await logs();
    expect(record).toMatchObject({ endpoint: 'responses', keyId: aliceId, provider: 'openai', model: 'gpt-x', status: 200, promptTokens: 11, completionTokens: 4 });
  });
});
