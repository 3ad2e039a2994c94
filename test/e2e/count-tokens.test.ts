/**
 * `/v1/messages/count_tokens` goes through the request pipeline: a key is needed, its model
 * allow-list and its rate limit apply, and the count is answered in Anthropic's format, by the
 * Anthropic upstream's own counting API or by the estimate; no usage record is written for it.
 * OpenAI's `/v1/responses/input_tokens` is answered the same way, in OpenAI's format (it was a 405).
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, usageLogger, type UsageRecord } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

const ADMIN = 'admin-key-0123456789abcdef';
let upstream: MockUpstream;
let gw: RunningGateway;

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({
    providers: {
      oai: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false },
      claude: { type: 'anthropic', apiKey: 'sk-ant-upstream', baseURL: upstream.baseURL, listModels: false },
    },
    plugins: [auth({ adminKey: ADMIN, cacheTtlMs: 0 }), usageLogger()],
  });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

async function createKey(spec: Record<string, unknown>): Promise<string> {
  const res = await fetch(`${gw.url}/admin/keys`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify(spec) });
  return ((await res.json()) as { secret: string }).secret;
}

const counter = (apiKey: string) => new Anthropic({ baseURL: gw.url, apiKey, maxRetries: 0 });
const question = (model: string) => ({ model, messages: [{ role: 'user' as const, content: 'How many tokens is this?' }] });

describe('count_tokens through the pipeline', () => {
  it('needs a gateway key', async () => {
    const error = (await counter('not-a-key').messages.countTokens(question('oai/mock-small')).catch((e: unknown) => e)) as InstanceType<typeof Anthropic.APIError>;
    expect(error).toBeInstanceOf(Anthropic.AuthenticationError);
  });

  it("applies the key's model allow-list", async () => {
    const secret = await createKey({ name: 'oai-only', models: ['oai/*'] });
    const ok = await counter(secret).messages.countTokens(question('oai/mock-small'));
    expect(ok.input_tokens).toBeGreaterThan(0);
    const error = (await counter(secret).messages.countTokens(question('claude/claude-x')).catch((e: unknown) => e)) as InstanceType<typeof Anthropic.APIError>;
    expect(error).toBeInstanceOf(Anthropic.PermissionDeniedError);
    expect(error.error).toMatchObject({ type: 'error', error: { type: 'permission_error', code: 'model_not_allowed' } });
    expect(upstream.requests.filter((r) => r.path.includes('count_tokens'))).toHaveLength(0);
  });

  it("applies the key's rate limit", async () => {
    const secret = await createKey({ name: 'two-a-minute', limits: { rpm: 2 } });
    await counter(secret).messages.countTokens(question('oai/mock-small'));
    await counter(secret).messages.countTokens(question('oai/mock-small'));
    const error = (await counter(secret).messages.countTokens(question('oai/mock-small')).catch((e: unknown) => e)) as InstanceType<typeof Anthropic.APIError>;
    expect(error).toBeInstanceOf(Anthropic.RateLimitError);
  });

  it("asks an Anthropic upstream's own counting API, and writes no usage record", async () => {
    const secret = await createKey({ name: 'counter' });
    const { data, response } = await counter(secret).messages.countTokens(question('claude/claude-x')).withResponse();
    // The mock upstream counts characters of the messages it was sent.
    expect(data.input_tokens).toBe(JSON.stringify(question('x').messages).length);
    const call = upstream.requests.at(-1)!;
    expect(call.path).toBe('/v1/messages/count_tokens');
    // The provider's own credentials, the client's API version (the SDK's), a JSON body asked for and sent; never the client's gateway key.
    expect(call.headers).toMatchObject({ 'x-api-key': 'sk-ant-upstream', 'anthropic-version': '2026-10-21', 'content-type': 'application/json', accept: 'application/json' });
    expect(JSON.stringify(call.headers)).not.toContain(secret);
    // A chat request after it is recorded: records are written, just not for counts.
    const chat = await counter(secret).messages.create({ ...question('oai/mock-small'), max_tokens: 5 }).withResponse();
    const records = async (id: string) =>
      ((await (await fetch(`${gw.url}/admin/logs?requestId=${id}`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as { data: UsageRecord[] }).data;
    await expect.poll(async () => (await records(chat.response.headers.get('x-request-id')!)).length, { timeout: 5000 }).toBe(1);
    expect(await records(response.headers.get('x-request-id')!)).toHaveLength(0);
  });
});

describe('POST /v1/responses/input_tokens', () => {
  const openai = (apiKey: string) => new OpenAI({ baseURL: `${gw.url}/v1`, apiKey, maxRetries: 0 });

  it("asks an Anthropic upstream's own counting API for a Responses request, and answers in OpenAI's terms", async () => {
    const secret = await createKey({ name: 'responses-counter' });
    const counted = await openai(secret).responses.inputTokens.count({ model: 'claude/claude-x', input: 'How many tokens is this?' });
    const call = upstream.requests.at(-1)!;
    expect(call.path).toBe('/v1/messages/count_tokens');
    // The mock counts the characters of the messages it was sent: the count is the upstream's.
    expect(counted).toEqual({ object: 'response.input_tokens', input_tokens: JSON.stringify((call.body as { messages: unknown }).messages).length });
  });

  it('estimates for a provider that cannot count, and says so', async () => {
    const secret = await createKey({ name: 'responses-estimate' });
    const { data, response } = await openai(secret)
      .responses.inputTokens.count({ model: 'oai/mock-small', instructions: 'Be brief.', input: [{ role: 'user', content: 'How many tokens is this?' }] })
      .withResponse();
    expect(data.object).toBe('response.input_tokens');
    expect(data.input_tokens).toBeGreaterThan(5);
    expect(response.headers.get('x-gateway-token-count')).toBe('estimate');
  });

  it("needs a key and applies its allow-list, in OpenAI's error format", async () => {
    await expect(openai('not-a-key').responses.inputTokens.count({ model: 'oai/mock-small', input: 'x' })).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    const secret = await createKey({ name: 'responses-oai-only', models: ['oai/*'] });
    const error = (await openai(secret).responses.inputTokens.count({ model: 'claude/claude-x', input: 'x' }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(error).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(error.error).toMatchObject({ type: 'permission_error', code: 'model_not_allowed' });
  });
});
