/**
 * Found by a review of c95b40a (it failed before its fix): (compressed request bodies). `Content-Encoding: deflate` is sent two ways in
 * practice: the zlib stream RFC 9110 names, and a raw DEFLATE stream (.NET's DeflateStream, which
 * HttpClient users wrap a body in by hand, and other clients that read "deflate" as the algorithm).
 * Every common decoder takes both (undici's fetch, browsers and curl sniff the zlib header); the
 * gateway's content-coding.ts uses zlib.inflate only, so a raw stream is a 400 "incorrect header check".
 */
import { deflateRawSync, deflateSync } from 'node:zlib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startGateway, type RunningGateway } from '../support/gateway.js';
import { mockProvider, startMockUpstream, type MockUpstream } from '../support/mock-upstream.js';

let upstream: MockUpstream;
let gw: RunningGateway;
beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({ providers: { mock: mockProvider(upstream) } });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

const chat = JSON.stringify({ model: 'mock/gpt-4o-mini', messages: [{ role: 'user', content: 'hello' }] });
const post = (body: Buffer) => fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json', 'content-encoding': 'deflate' }, body });

it('a zlib-wrapped deflate body is read (as today)', async () => {
  expect((await post(deflateSync(chat))).status).toBe(200);
});

it('a raw DEFLATE body sent as Content-Encoding: deflate is read too', async () => {
  const response = await post(deflateRawSync(chat));
  const json = (await response.json()) as Record<string, any>;
  // Found: 400 invalid_body "could not be decompressed as deflate (incorrect header check)".
  expect({ status: response.status, code: json.error?.code }).toEqual({ status: 200, code: undefined });
});
