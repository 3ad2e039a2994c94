/**
 * Azure OpenAI deployments and `/v1/embeddings`, with the official `openai` client over real
 * sockets against the mock upstream.
 */
import OpenAI from 'openai';
import { retry } from '../../index.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let backup: MockUpstream;
let gw: RunningGateway;
let client: OpenAI;

beforeAll(async () => {
  upstream = await startMockUpstream();
  backup = await startMockUpstream();
  gw = await startGateway({
    providers: {
      azure: { type: 'azure-openai', endpoint: `http://127.0.0.1:${upstream.port}`, apiKey: 'az-key', deployments: { 'gpt-4o': 'prod-gpt4o' }, models: ['gpt-4o'] },
      openai: { type: 'openai', apiKey: 'sk-openai', baseURL: upstream.baseURL, listModels: false },
      oai: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false },
      spare: { type: 'openai-compatible', baseURL: backup.baseURL, listModels: false },
      claude: { type: 'anthropic', apiKey: 'k', baseURL: upstream.baseURL, listModels: false },
    },
    models: {
      embed: { targets: ['oai/text-embedding-3-small', 'spare/text-embedding-3-small'] },
      'embed-claude-first': { targets: ['claude/none', 'spare/text-embedding-3-small'] },
    },
    // Fallback between targets is the retry plugin's job, for embeddings as for chat.
    plugins: [retry({ attempts: 1 })],
  });
  client = new OpenAI({ baseURL: gw.baseURL, apiKey: 'client', maxRetries: 0 });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
  await backup?.close();
});
beforeEach(() => {
  upstream.reset();
  backup.reset();
});

describe('Azure OpenAI', () => {
  it('calls the mapped deployment with api-key and api-version, whole and streamed', async () => {
    const answer = await client.chat.completions.create({ model: 'azure/gpt-4o', max_tokens: 20, messages: [{ role: 'user', content: 'hi' }] });
    expect(answer.choices[0]?.message.content).toBe('echo: hi');
    const seen = upstream.requests[0];
    expect(seen?.path).toBe('/openai/deployments/prod-gpt4o/chat/completions?api-version=2024-10-21');
    expect(seen?.headers['api-key']).toBe('az-key');
    expect(seen?.headers.authorization).toBeUndefined();
    // Reasoning deployments refuse max_tokens; every deployment takes max_completion_tokens.
    expect(seen?.body).toMatchObject({ max_completion_tokens: 20 });
    expect(seen?.body).not.toHaveProperty('max_tokens');

    const stream = await client.chat.completions.create({ model: 'azure/gpt-4o', stream: true, messages: [{ role: 'user', content: 'a b' }] });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('echo: a b');
  });

  it('uses the model name as the deployment when it is not mapped, and lists configured models', async () => {
    await client.chat.completions.create({ model: 'azure/my-deployment', messages: [{ role: 'user', content: 'x' }] });
    expect(upstream.requests[0]?.path).toBe('/openai/deployments/my-deployment/chat/completions?api-version=2024-10-21');
    const models = await client.models.list();
    expect(models.data.map((m) => m.id)).toContain('azure/gpt-4o');
  });

  // Azure refuses a prompt its content filter caught with a 400 whose `innererror` names the
  // category and severity (https://learn.microsoft.com/azure/ai-foundry/openai/concepts/content-filter);
  // Azure clients read it there, so it reaches them as Azure wrote it.
  it("passes on the content filter's details of a refused prompt (innererror)", async () => {
    const innererror = { code: 'ResponsibleAIPolicyViolation', content_filter_result: { hate: { filtered: true, severity: 'high' }, violence: { filtered: false, severity: 'safe' } } };
    upstream.enqueue({ status: 400, body: { error: { message: 'The response was filtered due to the prompt triggering content management policy.', type: null, param: 'prompt', code: 'content_filter', status: 400, innererror } } });
    const error = (await client.chat.completions.create({ model: 'azure/gpt-4o', messages: [{ role: 'user', content: 'x' }] }).catch((e: unknown) => e)) as InstanceType<typeof OpenAI.APIError>;
    expect(error.status).toBe(400);
    expect(error.code).toBe('content_filter');
    expect((error.error as { innererror?: unknown }).innererror).toEqual(innererror);
  });

  it('embeds through a deployment', async () => {
    const result = await client.embeddings.create({ model: 'azure/gpt-4o', input: 'abc' });
    expect(result.data[0]?.embedding).toEqual([3, 1, 0]);
    expect(upstream.requests[0]?.path).toBe('/openai/deployments/prod-gpt4o/embeddings?api-version=2024-10-21');
  });
});

it('the openai type sends max_completion_tokens in place of max_tokens', async () => {
  await client.chat.completions.create({ model: 'openai/gpt-5', max_tokens: 9, messages: [{ role: 'user', content: 'x' }] });
  expect(upstream.requests[0]?.body).toMatchObject({ max_completion_tokens: 9 });
  expect(upstream.requests[0]?.body).not.toHaveProperty('max_tokens');
  await client.chat.completions.create({ model: 'oai/llama', max_tokens: 9, messages: [{ role: 'user', content: 'x' }] });
  expect(upstream.requests[1]?.body).toMatchObject({ max_tokens: 9 });
});

describe('/v1/embeddings', () => {
  it('embeds a batch in OpenAI format, passing dimensions and encoding through', async () => {
    const result = await client.embeddings.create({ model: 'oai/text-embedding-3-small', input: ['a', 'bb'], dimensions: 3, encoding_format: 'float' });
    expect(result.data.map((d) => d.embedding)).toEqual([
      [1, 1, 0],
      [2, 1, 0],
    ]);
    expect(result.usage).toEqual({ prompt_tokens: 4, total_tokens: 4 });
    expect(upstream.requests[0]?.body).toEqual({ model: 'text-embedding-3-small', input: ['a', 'bb'], dimensions: 3, encoding_format: 'float' });
  });

  it('falls back to the next target of a virtual model when one fails', async () => {
    upstream.enqueue({ status: 503, body: { error: { message: 'busy' } } });
    const res = await client.embeddings.create({ model: 'embed', input: 'abcd' }).withResponse();
    expect(res.data.data[0]?.embedding).toEqual([4, 1, 0]);
    expect(res.response.headers.get('x-gateway-provider')).toBe('spare');
    expect(res.response.headers.get('x-gateway-attempts')).toBe('2');
  });

  it('skips a provider without embeddings, and says so when none is left', async () => {
    const res = await client.embeddings.create({ model: 'embed-claude-first', input: 'x' }).withResponse();
    expect(res.response.headers.get('x-gateway-provider')).toBe('spare');
    const error = await client.embeddings.create({ model: 'claude/none', input: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect((error as InstanceType<typeof OpenAI.APIError>).error).toMatchObject({ code: 'unsupported_endpoint', message: expect.stringContaining('No embeddings API on claude') });
  });

  it('does not try another target after a 400', async () => {
    upstream.enqueue({ status: 400, body: { error: { message: 'input too long', type: 'invalid_request_error' } } });
    const error = await client.embeddings.create({ model: 'embed', input: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(backup.requests).toHaveLength(0);
  });

  it.each([
    [{ model: 'oai/e' }, 'input'],
    [{ model: 'oai/e', input: [] }, 'input'],
    [{ input: 'x' }, 'model'],
    [{ model: 'oai/e', input: 'x', dimensions: 0 }, 'dimensions'],
  ])('refuses %j naming %s', async (body, param) => {
    const res = await fetch(`${gw.baseURL}/embeddings`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { param: string } }).error.param).toBe(param);
  });
});
