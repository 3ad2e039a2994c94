/**
 * Found by a review of 8ee8913 (it failed before its fix): (body charsets). `charset=UTF-16` names a byte order that its byte order mark
 * says (RFC 2781 §4.3; big-endian when there is none). Java's `StandardCharsets.UTF_16`, which
 * Apache HttpClient and `HttpRequest.BodyPublishers.ofString(json, UTF_16)` encode with, writes
 * FE FF and big-endian bytes. body-charset.ts hands the label to WHATWG's TextDecoder, for which
 * "utf-16" is always little-endian and which takes off only a little-endian mark: the body becomes
 * U+FFFE followed by CJK garbage, and the request a 400 "invalid JSON".
 */
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

const chat = { model: 'mock/gpt-4o-mini', messages: [{ role: 'user', content: 'naïve 日本' }] };

it('a UTF-16 body with a big-endian byte order mark (what Java sends for charset=UTF-16) is read', async () => {
  const body = Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(JSON.stringify(chat), 'utf16le').swap16()]);
  const response = await fetch(`${gw.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json; charset=UTF-16' }, body });
  const json = (await response.json()) as Record<string, any>;
  // Found: 400 invalid_json.
  expect({ status: response.status, code: json.error?.code }).toEqual({ status: 200, code: undefined });
  expect(upstream.requests.at(-1)!.body).toMatchObject({ messages: [{ content: 'naïve 日本' }] });
});
