/**
 * Bad input gets a clear OpenAI error with the right status, through a real socket, and the
 * upstream is never called for it.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let gw: RunningGateway;

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({
    server: { bodyLimit: 1024 },
    providers: { mock: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false } },
  });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

const post = (body: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
  fetch(`${gw.baseURL}/chat/completions`, { method: 'POST', headers, body });

const valid = { model: 'mock/mock-small', messages: [{ role: 'user', content: 'hi' }] };

describe('request bodies', () => {
  it.each([
    ['invalid JSON', '{"model": ', 400, 'invalid_json', null, /could not parse the JSON body/],
    ['an array', '[1,2]', 400, 'invalid_body', null, /must be a JSON object, not an array/],
    ['a string', '"hi"', 400, 'invalid_body', null, /must be a JSON object, not a string/],
    ['null', 'null', 400, 'invalid_body', null, /not null/],
    ['an empty body', '', 400, 'empty_body', null, /body is empty/],
    ['no model', JSON.stringify({ messages: valid.messages }), 400, 'missing_required_parameter', 'model', /Missing required parameter: 'model'/],
    ['no messages', JSON.stringify({ model: valid.model }), 400, 'missing_required_parameter', 'messages', /'messages'/],
    ['empty messages', JSON.stringify({ ...valid, messages: [] }), 400, 'invalid_value', 'messages', /at least one message/],
    ['messages as a string', JSON.stringify({ ...valid, messages: 'hi' }), 400, 'invalid_value', 'messages', /must be an array \(found "hi"\)/],
    ['model as a number', JSON.stringify({ ...valid, model: 4 }), 400, 'invalid_value', 'model', /must be a string \(found 4\)/],
    ['a role that is not a string', JSON.stringify({ ...valid, messages: [{ role: 7, content: 'x' }] }), 400, 'invalid_value', 'messages[0].role', /must be a string \(found 7\)/],
    ['a message that is not an object', JSON.stringify({ ...valid, messages: ['hi'] }), 400, 'invalid_value', 'messages[0]', /must be an object/],
    ['a message without role', JSON.stringify({ ...valid, messages: [{ content: 'x' }] }), 400, 'missing_required_parameter', 'messages[0].role', /messages\[0\]\.role/],
    ['temperature as text', JSON.stringify({ ...valid, temperature: 'hot' }), 400, 'invalid_value', 'temperature', /must be a number/],
    ['stream as text', JSON.stringify({ ...valid, stream: 'yes' }), 400, 'invalid_value', 'stream', /must be a boolean/],
    ['max_tokens as text', JSON.stringify({ ...valid, max_tokens: '10' }), 400, 'invalid_value', 'max_tokens', /must be an integer/],
  ])('refuses %s', async (_what, body, status, code, param, message) => {
    const before = upstream.requests.length;
    const res = await post(body);
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(res.headers.get('x-request-id')).toBeTruthy();
    const { error } = (await res.json()) as { error: { message: string; type: string; code: string; param: string | null } };
    expect(error).toMatchObject({ type: 'invalid_request_error', code, param });
    expect(error.message).toMatch(message);
    expect(upstream.requests.length).toBe(before);
  });

  it('refuses a body over the limit from its Content-Length with 413', async () => {
    const res = await post(JSON.stringify({ ...valid, padding: 'x'.repeat(2048) }));
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'request_too_large',
      message: expect.stringMatching(/larger than the gateway's limit of 1024 bytes/),
    });
  });

  it('refuses a chunked body (no Content-Length) once it passes the limit', async () => {
    const status = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(`${gw.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked' } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      for (let i = 0; i < 8; i++) req.write('x'.repeat(512));
      req.end();
    });
    expect(status).toBe(413);
  });
});

describe('models and paths', () => {
  it('answers 404 model_not_found for an unknown provider, naming the configured ones', async () => {
    const res = await post(JSON.stringify({ ...valid, model: 'nope/gpt-4o' }));
    expect(res.status).toBe(404);
    const { error } = (await res.json()) as { error: { message: string; code: string; param: string } };
    expect(error).toMatchObject({ code: 'model_not_found', param: 'model' });
    expect(error.message).toMatch(/no provider 'nope' is configured \(configured providers: mock\)/);
  });

  it('answers 404 for a bare model nobody lists', async () => {
    const res = await post(JSON.stringify({ ...valid, model: 'gpt-17' }));
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('model_not_found');
  });

  it('answers 404 unknown_url for an unknown path and 405 for a wrong method', async () => {
    const unknown = await fetch(`${gw.url}/v1/nothing-here`);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: { code: string } }).error.code).toBe('unknown_url');

    const wrongMethod = await fetch(`${gw.baseURL}/chat/completions`);
    expect(wrongMethod.status).toBe(405);
    expect(((await wrongMethod.json()) as { error: { code: string } }).error.code).toBe('method_not_allowed');
  });
});
