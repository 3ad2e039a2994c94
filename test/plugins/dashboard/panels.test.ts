/** Panels other plugins contribute (`host.addPanel`) appear on the Overview: the example package's prompt guard shows its count. */
import OpenAI from 'openai';
import promptGuard from 'llm-gateway-plugin-prompt-guard';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { dashboard } from '../../../index.js';
import { startGateway, type RunningGateway } from '../../support/gateway.js';
import { startMockUpstream, type MockUpstream } from '../../support/mock-upstream.js';

const ADMIN_KEY = 'admin-key-of-the-panel-tests';
let upstream: MockUpstream;
let gw: RunningGateway;

beforeAll(async () => {
  upstream = await startMockUpstream();
  gw = await startGateway({ providers: { a: { type: 'openai-compatible', baseURL: upstream.baseURL, listModels: false } }, plugins: [promptGuard({ deny: ['forbidden'] }), dashboard({ adminKey: ADMIN_KEY })] });
});
afterAll(async () => {
  await gw?.close();
  await upstream?.close();
});

it("shows the example plugin's panel on the Overview, rendered when the page is", async () => {
  const overview = () => fetch(`${gw.url}/dashboard`, { headers: { authorization: `Bearer ${ADMIN_KEY}` } }).then((r) => r.text());
  expect(await overview()).toMatch(/<section class="panel" id="panel-prompt-guard"><h3>Prompt guard<\/h3><p>0 request\(s\) blocked<\/p>/);
  const client = new OpenAI({ baseURL: gw.baseURL, apiKey: 'unused', maxRetries: 0 });
  await expect(client.chat.completions.create({ model: 'a/mock-small', messages: [{ role: 'user', content: 'something forbidden' }] })).rejects.toBeInstanceOf(OpenAI.BadRequestError);
  expect(await overview()).toContain('<p>1 request(s) blocked</p>');
});
