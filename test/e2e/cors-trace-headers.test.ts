/**
 * CORS (core/http/cors.ts) for a browser app that propagates its trace: its preflight asks for
 * `traceparent` and `tracestate`, which the gateway allows.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { mockProvider, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let gw: RunningGateway;
beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({ server: { corsOrigins: ['https://app.example.com'] }, providers: { mock: mockProvider(upstream) } });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

it('lets a browser app send its W3C traceparent and tracestate through the CORS preflight', async () => {
  // Promised: docs/observability.md says the SERVER span is a "child of the client's traceparent,
  // if it sent one" and the client's `tracestate` goes upstream; docs/configuration.md offers
  // `corsOrigins` for "browser apps allowed to call the gateway directly". A browser app with
  // OpenTelemetry's fetch instrumentation (propagateTraceHeaderCorsUrls) adds `traceparent` and
  // `tracestate`, so its preflight asks for them; core/http/cors.ts ALLOWED_HEADERS does not list
  // them, the preflight answer leaves them out, and the browser refuses to send the request at
  // all: turning on trace propagation in the app breaks every call to the gateway.
  const res = await fetch(`${gw.url}/v1/chat/completions`, {
    method: 'OPTIONS',
    headers: { origin: 'https://app.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,traceparent,tracestate' },
  });
  expect(res.status).toBe(204);
  const allowed = (res.headers.get('access-control-allow-headers') ?? '').split(',').map((h) => h.trim().toLowerCase());
  expect(allowed).toContain('traceparent');
  expect(allowed).toContain('tracestate');
});
