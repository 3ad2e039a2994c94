/**
 * The server's edges: the kernel's public `/ready` probe (core/http/kernel-routes.ts) shows no
 * adapter's raw error, and graceful shutdown (core/server.ts) records a stream it cut as an error,
 * not as a client that left; the gateway headers carry no model name a header cannot.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../core/logger.js';
import { accessLog, auth, definePlugin } from '../../index.js';
import { defineProviderType } from '../../sdk/provider-kit.js';
import { startGateway } from '../support/gateway.js';
import { mockProvider, startMockUpstream, wordChunks, type MockUpstream } from '../support/mock-upstream.js';

const SECRET = 'hunter2-do-not-print';

let upstream: MockUpstream;
beforeAll(async () => {
  upstream = await startMockUpstream();
});
afterAll(() => upstream?.close());

/** A provider type from a plugin whose model listing fails with a driver-like message naming a host and a password. */
const leaky = definePlugin({
  name: 'test:leaky-listing',
  providerTypes: [
    defineProviderType({
      type: 'leaky',
      schema: { type: 'object' },
      create: (_options, { id }) => ({
        id,
        type: 'leaky',
        listModels: async () => {
          throw new Error(`connect ECONNREFUSED https://svc:${SECRET}@10.9.8.7:8443/v1/models`);
        },
        chatCompletions: async () => {
          throw new Error('not used');
        },
      }),
    }),
  ],
});

describe('/ready', () => {
  it("does not show anyone who asks a provider adapter's raw error (hosts, passwords)", async () => {
    // Promised (docs/reliability.md, "Upstreams" and "Secrets in what the gateway prints"): an
    // adapter's internal error ("a driver message naming hosts or credentials") goes "to the
    // gateway's log only", and a URL's password is masked "wherever the gateway prints it".
    // core/providers/catalog.ts wraps a listing failure that is not a GatewayError as
    // `${provider}: listing models failed: ${cause.message}` and stores it as the listing's
    // `error`; core/http/kernel-routes.ts serves it on `/ready`, a public route (no key, even with
    // gateway:auth), unmasked, so anyone who can reach the load balancer's probe reads it.
    const lines: string[] = [];
    const gw = await startGateway(
      { providers: { leaky: { type: 'leaky', models: ['m'] } }, plugins: [auth({ adminKey: 'admin-key-for-review-tests' }), leaky()] },
      { logger: createLogger({ level: 'warn', write: (line) => lines.push(line) }) },
    );
    try {
      let body = '';
      for (let i = 0; i < 50 && !body.includes('"error"'); i++) {
        body = await (await fetch(`${gw.url}/ready`)).text();
        if (!body.includes('"error"')) await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(body).toContain('leaky');
      // The log line masks it...
      expect(lines.join('\n')).not.toContain(SECRET);
      // ...the public probe does not.
      expect(body).not.toContain(SECRET);
      expect(body).not.toContain('10.9.8.7');
    } finally {
      await gw.close();
    }
  });
});

describe('graceful shutdown', () => {
  it("does not log a stream cut by the shutdown deadline as abandoned by the client", async () => {
    // Promised (docs/observability.md, access log): one line per request "when it is over
    // (answered, failed, or abandoned by the client)"; `outcome` is `client_aborted` only when the
    // client left (core/context.ts RequestOutcome). core/server.ts `close()` cuts the streams
    // still running at `server.shutdownTimeoutMs` with closeAllConnections(), and
    // core/http/exchange.ts `followClient` takes every response closed before it finished for a
    // client abort: the access log (and the metrics' `outcome`, the usage log) blame the client
    // for every stream each deploy cuts, and the client's stream just stops without an error event.
    const lines: string[] = [];
    const gw = await startGateway(
      { server: { shutdownTimeoutMs: 300 }, providers: { mock: mockProvider(upstream) }, plugins: [accessLog()] },
      { logger: createLogger({ level: 'info', format: 'json', write: (line) => lines.push(line) }) },
    );
    upstream.enqueue({ stream: { chunks: wordChunks('a b c d e f g h i j k l m n o p q r s t u v w x y z'), chunkDelayMs: 100 } });
    const res = await fetch(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'review-cut-at-shutdown' },
      body: JSON.stringify({ model: 'mock/mock-small', stream: true, messages: [{ role: 'user', content: 'a long answer' }] }),
    });
    const reader = res.body!.getReader();
    await reader.read();
    // The client keeps reading to the end, as it would: it does not leave.
    const reading = (async () => {
      try {
        for (let r = await reader.read(); !r.done; r = await reader.read());
      } catch {
        // the connection is cut under it
      }
    })();
    await gw.close();
    await reading;
    const line = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.requestId === 'review-cut-at-shutdown');
    expect(line).toBeDefined();
    expect(line!.outcome).not.toBe('client_aborted');
  });
});

describe('the gateway headers of an answer', () => {
  // x-gateway-model echoes the model, which may be the client's own name: one with a character no
  // header can carry made setHeader throw, and one of 20 KB made the client's HTTP parser refuse
  // the answer (undici: HeadersOverflowError), after it was served. (A name over 1,024 characters
  // is refused now, model_name_too_long; the header carries at most 256.)
  it.each([['a character no header can carry', 'mock/modèle-日本'], ['1 KB long', `mock/${'m'.repeat(1_000)}`]])('answers a model name %s, without echoing it', async (_case, model) => {
    const gw = await startGateway({ providers: { mock: mockProvider(upstream) } });
    try {
      const res = await fetch(`${gw.baseURL}/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }] }) });
      expect(res.status).toBe(200);
      expect(res.headers.get('x-gateway-provider')).toBe('mock');
      expect(res.headers.get('x-gateway-model')).toBeNull();
      await res.text();
    } finally {
      await gw.close();
    }
  });
});
