/**
 * An upstream (or the load balancer in front of it) that answers a redirect: the gateway does not
 * follow it (the provider's key never reaches the other host) and answers a 502 in the API's own
 * format, retryable, so a virtual model falls back to another target (docs/reliability.md: upstream
 * faults are 502/504). Before its fix, the 3xx went to the client as the client's own error (HTTP
 * 307, `invalid_request_error`, not retryable), and no fallback was tried.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { retry, routing } from '../../index.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { chat, completionBody, startRawUpstream, type RawUpstream } from '../support/raw-upstream.js';

let up: RawUpstream;
let elsewhere: RawUpstream;
let spare: RawUpstream;
let gw: RunningGateway;

beforeAll(async () => {
  elsewhere = await startRawUpstream((_q, s) => {
    s.writeHead(200, { 'content-type': 'application/json' });
    s.end(JSON.stringify(completionBody('from the other host')));
  });
  up = await startRawUpstream((_q, s) => {
    s.writeHead(307, { location: `${elsewhere.url}/v1/chat/completions`, 'content-type': 'text/html' });
    s.end('<html>Moved</html>');
  });
  spare = await startRawUpstream((_q, s) => {
    s.writeHead(200, { 'content-type': 'application/json' });
    s.end(JSON.stringify(completionBody('from the spare')));
  });
  gw = await startGateway({
    providers: {
      p: { type: 'openai-compatible', baseURL: up.baseURL, apiKey: 'sk-provider-secret', listModels: false },
      c: { type: 'anthropic', baseURL: up.url, apiKey: 'sk-ant-provider-secret', listModels: false },
      s: { type: 'openai-compatible', baseURL: spare.baseURL, apiKey: 'k2', listModels: false },
    },
    models: { stack: { targets: ['p/m', 's/m'] } },
    plugins: [routing(), retry({ attempts: 1 })],
  });
});
afterAll(async () => {
  await gw?.close();
  await up?.close();
  await elsewhere?.close();
  await spare?.close();
});

describe('an upstream that answers a redirect', () => {
  it('is a 502 on /v1/chat/completions, and the key is not sent to the other host', async () => {
    const res = await chat(gw.baseURL, { model: 'p/m' });
    const body = (await res.json()) as { error: { type: string; retryable?: boolean; provider?: string } };
    expect(elsewhere.requests).toHaveLength(0);
    expect(res.status).toBe(502);
    expect(body.error).toMatchObject({ type: 'upstream_error', provider: 'p' });
  });

  it('is a 502 api_error on /v1/messages for an Anthropic upstream', async () => {
    const res = await fetch(`${gw.baseURL}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'c/claude', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] }),
    });
    const body = (await res.json()) as { type: string; error: { type: string } };
    expect(elsewhere.requests).toHaveLength(0);
    expect(res.status).toBe(502);
    expect(body.error.type).toBe('api_error');
  });

  it('is a failure another target may answer: the virtual model falls back to the spare', async () => {
    const res = await chat(gw.baseURL, { model: 'stack' });
    const body = (await res.json()) as { choices?: Array<{ message: { content: string } }> };
    expect(res.status).toBe(200);
    expect(body.choices?.[0]?.message.content).toBe('from the spare');
  });
});
