/**
 * An upstream error that quotes the gateway's own provider key (a proxy or a self-hosted server
 * that echoes what it was sent, "Incorrect API key provided: <key>") shows the key by its last four
 * characters only: to the client, in the usage log's attempts (GET /admin/logs, the Logs page, the
 * exports), on the public `/ready` and in the process log. Before its fix, each of them showed it
 * whole (the usage log's redaction knows key formats, not a self-hosted server's own token).
 */
import { createServer } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auth, usageLogger } from '../../index.js';
import { createLogger } from '../../core/logger.js';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

const ADMIN = 'admin-key-of-the-upstream-error-review';
// Not in any format the usage log's redaction patterns know (a self-hosted server's own key).
const PROVIDER_KEY = 'vllm-internal-token-Zq8Y2p0Lk3Tn';
let upstream: MockUpstream;
let gw: RunningGateway;
const lines: string[] = [];

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway(
    {
      server: { adminKey: ADMIN },
    usageLog: 'sqlite::memory:',
      providers: { a: { type: 'openai-compatible', baseURL: upstream.baseURL, apiKey: PROVIDER_KEY, listModels: false } },
      plugins: [auth(), usageLogger()],
    },
    { logger: createLogger({ level: 'info', write: (line) => lines.push(line) }) },
  );
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

const adminHeaders = { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' };

async function keySecret(): Promise<string> {
  const res = await fetch(`${gw.url}/admin/keys`, { method: 'POST', headers: adminHeaders, body: JSON.stringify({ name: 'client' }) });
  return ((await res.json()) as { secret: string }).secret;
}

async function chat(secret: string, text: string): Promise<Response> {
  return fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' }, body: JSON.stringify({ model: 'a/mock-small', messages: [{ role: 'user', content: text }] }) });
}

describe('provider keys quoted by an upstream error', () => {
  it('never shows the provider key to the client in an upstream 400 message', async () => {
    upstream.enqueue({ status: 400, body: { error: { message: `Request rejected for token ${PROVIDER_KEY}: unsupported parameter`, type: 'invalid_request_error' } } });
    const res = await chat(await keySecret(), 'first');
    expect(res.status).toBe(400);
    expect(await res.text()).not.toContain(PROVIDER_KEY);
  });

  it('never records the provider key in the usage log attempts (GET /admin/logs)', async () => {
    upstream.enqueue({ status: 400, body: { error: { message: `Request rejected for token ${PROVIDER_KEY}: bad value`, type: 'invalid_request_error' } } });
    await (await chat(await keySecret(), 'second')).text();
    let logs = '';
    for (let i = 0; i < 40 && !logs.includes('bad value'); i++) {
      await new Promise((r) => setTimeout(r, 100));
      logs = await (await fetch(`${gw.url}/admin/logs?limit=10`, { headers: adminHeaders })).text();
    }
    expect(logs).toContain('bad value');
    expect(logs, 'GET /admin/logs').not.toContain(PROVIDER_KEY);
  });

  it('never writes the provider key to the process log when the upstream refuses it (401)', async () => {
    upstream.enqueue({ status: 401, body: { error: { message: `Incorrect API key provided: ${PROVIDER_KEY}`, type: 'invalid_request_error', code: 'invalid_api_key' } } });
    const res = await chat(await keySecret(), 'third');
    // The client's own answer is generic here (provider_auth_failed)...
    expect(await res.text()).not.toContain(PROVIDER_KEY);
    // ...the operator's log line quotes the upstream whole.
    expect(lines.some((line) => line.includes('provider call failed'))).toBe(true);
    expect(lines.filter((line) => line.includes(PROVIDER_KEY)), 'process log').toEqual([]);
  });

  it('never shows the provider key on the public /ready when the model listing fails with a message quoting it', async () => {
    // A proxy in front of a model server that quotes the credentials it could not forward.
    const echo = createServer((req, res) => {
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { message: `upstream refused ${String(req.headers.authorization)}` } }));
    });
    await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
    const port = (echo.address() as { port: number }).port;
    const other = await startGateway({ providers: { p: { type: 'openai-compatible', baseURL: `http://127.0.0.1:${port}/v1`, apiKey: PROVIDER_KEY } }, plugins: [auth()] });
    try {
      let ready = '';
      for (let i = 0; i < 40 && !ready.includes('"error"'); i++) {
        await new Promise((r) => setTimeout(r, 50));
        // No key sent: /ready is a public probe.
        ready = await (await fetch(`${other.url}/ready`)).text();
      }
      expect(ready).toContain('upstream refused');
      expect(ready, 'GET /ready (public)').not.toContain(PROVIDER_KEY);
    } finally {
      await other.close();
      echo.close();
    }
  });
});
